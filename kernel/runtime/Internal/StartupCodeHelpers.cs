using System;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Internal.Runtime.CompilerHelpers
{
    /// <summary>
    /// Module initialisation, done once on the boot CPU before any code that
    /// touches a static object reference:
    /// 1. Find the module's ReadyToRun header (signature RTR\0, rows of 24 bytes).
    /// 2. Section 201 (GC static region): for each static base still flagged
    ///    "uninitialised", allocate its object, copy any preinitialised data,
    ///    and store the object pointer back into the cell.
    /// 3. Section 205: run the eager class constructors in order.
    /// Invariant: the heap works before step 2, since static bases are heap objects.
    /// </summary>
    internal static unsafe class StartupCodeHelpers
    {
        private const uint ReadyToRunSignature = 0x00525452;
        private const int GCStaticRegionSection = 201;
        private const int EagerCctorSection = 205;
        private const int Uninitialized = 1;
        private const int HasPreInitializedData = 2;
        private const int FlagMask = 3;

        [StructLayout(LayoutKind.Sequential)]
        private struct ReadyToRunHeader
        {
            public uint Signature;
            public ushort MajorVersion;
            public ushort MinorVersion;
            public uint Flags;
            public ushort NumberOfSections;
            public byte EntrySize;
            public byte EntryType;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct ModuleInfoRow
        {
            public int SectionId;
            public int Flags;
            public byte* Start;
            public byte* End;
        }

        /// <summary>Returns the number of static bases allocated, or -1 if the header is not valid.</summary>
        internal static int InitializeModule(void* rtrHeader)
        {
            var header = (ReadyToRunHeader*)rtrHeader;
            if (header->Signature != ReadyToRunSignature) return -1;
            var rows = (ModuleInfoRow*)(header + 1);
            int allocated = 0;
            for (int i = 0; i < header->NumberOfSections; i++)
                if (rows[i].SectionId == GCStaticRegionSection)
                    allocated += InitializeStatics(rows[i].Start, rows[i].End);
            for (int i = 0; i < header->NumberOfSections; i++)
                if (rows[i].SectionId == EagerCctorSection)
                    for (nint* p = (nint*)rows[i].Start; p < (nint*)rows[i].End; p++)
                        ((delegate*<void>)*p)();
            return allocated;
        }

        private static byte* ReadRel32(void* at) => (byte*)at + *(int*)at;

        private static int InitializeStatics(byte* start, byte* end)
        {
            int count = 0;
            for (byte* entry = start; entry < end; entry += sizeof(int))
            {
                nint* cell = (nint*)ReadRel32(entry);
                nint value = (nint)ReadRel32(cell);
                if ((value & Uninitialized) == 0) continue;
                var mt = (MethodTable*)(value & ~(nint)FlagMask);
                void* obj = Allocation.RhpNewFast(mt);
                if ((value & HasPreInitializedData) != 0)
                {
                    byte* data = ReadRel32((int*)cell + 1);
                    byte* dst = (byte*)obj + sizeof(nint);
                    uint size = mt->_uBaseSize - (uint)(2 * sizeof(nint));
                    for (uint i = 0; i < size; i++) dst[i] = data[i];
                }
                *cell = (nint)obj;
                count++;
            }
            return count;
        }
    }
}
