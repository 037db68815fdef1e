using System;
using System.Threading;
using Molt.Hal;
using Molt.Memory;
using Molt.Time;

namespace Molt.Update.Linker
{
    /// <summary>
    /// Loads, initializes and unloads patch objects (ELF ET_REL from
    /// <c>ilc --multifile -r:molt.dll</c>) in the running kernel.
    ///
    /// <see cref="Load"/>, in order; any failure frees everything taken so far
    /// (scratch, frames, exports, the module object; the address range stays
    /// retired) and returns a <see cref="LinkError"/> naming what and where:
    /// 1. Parse and check the object (<see cref="ElfObject"/>, overlaps).
    /// 2. Plan (<see cref="PatchLinker.Plan"/>): the module prefix, COMDAT
    ///    groups dropped in favour of the kernel's and earlier patches' copies,
    ///    the placement of loaded sections in text, rodata and data.
    /// 3. Reserve addresses in <see cref="PatchMemory"/> (never reused), map
    ///    fresh frames read+write, never executable.
    /// 4. Resolve every referenced symbol: kernel, then loaded patches; all
    ///    unresolved names are refused together.
    /// 5. Copy section bytes and apply every relocation in place.
    /// 6. Find and check the ReadyToRun header (through <c>__modules</c>): its
    ///    signature and every row inside the module.
    /// 7. Build the export table; protect: text read+execute, rodata
    ///    read-only (W^X), with I-cache and TLB maintenance.
    /// 8. Append the module to the chain: later patches resolve against it.
    /// <see cref="Initialize"/> is a separate call so the update core chooses
    /// when the patch's statics and module initializers run.
    /// Loads and unloads are serialized (a second concurrent one is refused).
    /// </summary>
    public static unsafe class PatchLoader
    {
#if ARCH_ARM64
        public const PatchArch Arch = PatchArch.Arm64;
#else
        public const PatchArch Arch = PatchArch.X64;
#endif
        private const uint ReadyToRunSignature = 0x00525452; // "RTR\0"
        private const int GCStaticRegionSection = 201, EagerCctorSection = 205, ModuleInitializerSection = 213;

        private static PatchModule s_first;
        private static int s_busy;
        private static int s_nextId = 1;
        private static int s_loaded;

        public static PatchModule First => s_first;
        public static int LoadedCount => s_loaded;

        /// <summary>A name as the linker resolves it: the kernel's symbol first, then each loaded patch's export, in load order.</summary>
        public static bool TryResolve(ReadOnlySpan<byte> name, out ulong address)
        {
            if (KernelSymbols.TryLookup(name, out address)) return true;
            for (PatchModule m = s_first; m != null; m = m.Next)
                if (!m.Unloaded && m.TryFind(name, out address)) return true;
            address = 0;
            return false;
        }

        public static bool Load(ReadOnlySpan<byte> elf, out PatchModule module, ref LinkError err)
        {
            module = null;
            err.Clear();
            if (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
            {
                err.Set(LinkErrorCode.Unsupported, "another patch load or unload is running");
                return false;
            }
            ulong start = Clock.NanosecondsSinceBoot();
            bool ok = LoadLocked(elf, out module, ref err);
            if (ok) module.LinkNanoseconds = Clock.NanosecondsSinceBoot() - start;
            Volatile.Write(ref s_busy, 0);
            return ok;
        }

        private static bool LoadLocked(ReadOnlySpan<byte> elf, out PatchModule module, ref LinkError err)
        {
            module = null;
            ElfObject obj;
            if (!ElfObject.Parse(elf, Arch, out obj, ref err)) return false;
            int sectionCount = obj.SectionCount, symbolCount = obj.SymbolCount;
            // Scratch: plan per section, slot per symbol, ints for the overlap sort. Freed below on every path.
            var plans = (SectionPlan*)Heap.Allocate((uint)(sectionCount * sizeof(SectionPlan)));
            var slots = (SymbolSlot*)Heap.Allocate((uint)(symbolCount * sizeof(SymbolSlot)));
            var scratch = (int*)Heap.Allocate((uint)(sectionCount * sizeof(int)));
            PatchModule m = null;
            bool ok = false;
            if (plans == null || slots == null || scratch == null)
                err.Set(LinkErrorCode.OutOfMemory, "heap exhausted allocating link scratch");
            else
            {
                m = new PatchModule();
                ok = Link(ref obj, new Span<SectionPlan>(plans, sectionCount), new Span<SymbolSlot>(slots, symbolCount), new Span<int>(scratch, sectionCount), m, ref err);
            }
            if (plans != null) Heap.Free(plans);
            if (slots != null) Heap.Free(slots);
            if (scratch != null) Heap.Free(scratch);
            if (!ok)
            {
                if (m != null) Discard(m);
                return false;
            }
            m.Id = s_nextId++;
            m.ObjectBytes = elf.Length;
            // Append: load order is resolution order after the kernel.
            if (s_first == null) s_first = m;
            else
            {
                PatchModule last = s_first;
                while (last.Next != null) last = last.Next;
                last.Next = m;
            }
            s_loaded++;
            module = m;
            return true;
        }

        private static bool Link(ref ElfObject obj, Span<SectionPlan> plans, Span<SymbolSlot> slots, Span<int> scratch, PatchModule m, ref LinkError err)
        {
            if (!obj.CheckOverlaps(scratch, ref err)) return false;
            var resolver = new KernelChainResolver();
            LinkLayout layout;
            if (!PatchLinker.Plan(ref obj, ref resolver, plans, out layout, ref err)) return false;

            // Step 3: one reservation, text | guard | rodata | guard | data | guard.
            ulong text = PatchMemory.PageAlign(layout.TextSize), rodata = PatchMemory.PageAlign(layout.RodataSize), data = PatchMemory.PageAlign(layout.DataSize);
            ulong total = text + PatchMemory.PageSize + rodata + PatchMemory.PageSize + data;
            ulong va = PatchMemory.Reserve(total);
            if (va == 0)
            {
                err.Set(LinkErrorCode.OutOfMemory, "patch address region exhausted (");
                err.AppendDecimal((long)(total / 1024));
                err.Append(" KiB asked; addresses are never reused)");
                return false;
            }
            m.ReservationBase = va;
            m.ReservationSize = total + PatchMemory.PageSize;
            m.TextBase = va; m.TextSize = text;
            m.RodataBase = va + text + PatchMemory.PageSize; m.RodataSize = rodata;
            m.DataBase = m.RodataBase + rodata + PatchMemory.PageSize; m.DataSize = data;
            if (!PatchMemory.MapWritable(m.TextBase, text) || !PatchMemory.MapWritable(m.RodataBase, rodata) || !PatchMemory.MapWritable(m.DataBase, data))
            {
                err.Set(LinkErrorCode.OutOfMemory, "no free frames for ");
                err.AppendDecimal((long)((text + rodata + data) / 1024));
                err.Append(" KiB of patch memory");
                return false;
            }
            var target = new LinkTarget
            {
                Text = new Span<byte>((void*)m.TextBase, (int)text), TextBase = m.TextBase,
                Rodata = new Span<byte>((void*)m.RodataBase, (int)rodata), RodataBase = m.RodataBase,
                Data = new Span<byte>((void*)m.DataBase, (int)data), DataBase = m.DataBase,
            };
            // Steps 4-5.
            if (!PatchLinker.Resolve(ref obj, plans, layout, target, ref resolver, slots, ref err)) return false;
            if (!PatchLinker.Copy(ref obj, plans, layout, target, ref err)) return false;
            if (!PatchLinker.Relocate(ref obj, plans, ref layout, target, slots, ref err)) return false;
            // Step 6.
            ulong modulesAt = PatchLinker.SectionAddress(target, plans[layout.ModulesSection]);
            m.ReadyToRunHeader = *(void**)modulesAt;
            if (!CheckHeader(m, ref err)) return false;
            // Step 7.
            if (!m.BuildExports(ref obj, plans, layout, slots, target))
            {
                err.Set(LinkErrorCode.OutOfMemory, "heap exhausted building the export table");
                return false;
            }
            if (text != 0)
            {
                CodeCache.Synchronize((void*)m.TextBase, text);
                PatchMemory.Protect(m.TextBase, text, PageAccess.Read | PageAccess.Execute);
            }
            if (rodata != 0) PatchMemory.Protect(m.RodataBase, rodata, PageAccess.Read);
            m.SectionsLoaded = layout.SectionsLoaded;
            m.Relocations = layout.Relocations;
            m.GroupsDropped = layout.GroupsDropped;
            m.VeneersUsed = layout.VeneersUsed;
            return true;
        }

        [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
        private struct ModuleRow
        {
            public int SectionId;
            public int Flags;
            public byte* Start;
            public byte* End;
        }

        /// <summary>The header is the patch's own (inside its regions), says RTR\0 with 24-byte rows, and every row lies inside the module.</summary>
        private static bool CheckHeader(PatchModule m, ref LinkError err)
        {
            ulong h = (ulong)m.ReadyToRunHeader;
            if (!m.Contains(h) || !m.Contains(h + 15) || *(uint*)h != ReadyToRunSignature || *((byte*)h + 14) != 24)
            {
                err.Set(LinkErrorCode.BadModule, "the __modules pointer ");
                err.AppendHex(h);
                err.Append(" is not a ReadyToRun header (RTR\\0, 24-byte rows) inside the patch");
                return false;
            }
            int rows = *(ushort*)(h + 12);
            var row = (ModuleRow*)(h + 16);
            if (!m.Contains((ulong)(row + rows) - 1))
            {
                err.Set(LinkErrorCode.BadModule, "the ReadyToRun header's rows run outside the patch");
                return false;
            }
            for (int i = 0; i < rows; i++)
            {
                bool hasEnd = (row[i].Flags & 1) != 0;
                ulong s = (ulong)row[i].Start, e = (ulong)row[i].End;
                if (s == 0 && !hasEnd) continue;
                if (!m.Contains(s) && !(hasEnd && s == e && (m.Contains(s - 1) || m.Contains(s))) || (hasEnd && (e < s || (e > s && !m.Contains(e - 1)))))
                {
                    err.Set(LinkErrorCode.BadModule, "ReadyToRun row ");
                    err.AppendDecimal(i);
                    err.Append(" (section ");
                    err.AppendDecimal(row[i].SectionId);
                    err.Append(") points outside the patch: ");
                    err.AppendHex(s);
                    return false;
                }
            }
            return true;
        }

        /// <summary>
        /// Runs the module's initialization, once:
        /// 1. Section 201 (GC statics): the cells still flagged uninitialized
        ///    are recorded (their static bases are freed on unload), then
        ///    <c>StartupCodeHelpers.InitializeModule</c> allocates every static
        ///    base, copies preinitialized data, and runs section 205's eager
        ///    class constructors.
        /// 2. Section 213: the module initializers (32-bit relative pointers to
        ///    <c>static void()</c> methods in the patch's text), in order.
        /// Other class constructors run lazily through the kernel's runner.
        /// </summary>
        public static bool Initialize(PatchModule m, ref LinkError err)
        {
            err.Clear();
            if (m.Initialized || m.Unloaded)
            {
                err.Set(LinkErrorCode.BadModule, m.Unloaded ? "module is unloaded" : "module is already initialized");
                return false;
            }
            ulong h = (ulong)m.ReadyToRunHeader;
            int rows = *(ushort*)(h + 12);
            var row = (ModuleRow*)(h + 16);
            // Check every pointer before running anything.
            int cells = 0;
            for (int i = 0; i < rows; i++)
            {
                if (row[i].SectionId == GCStaticRegionSection)
                    for (byte* entry = row[i].Start; entry + 4 <= row[i].End; entry += 4)
                    {
                        byte* cell = entry + *(int*)entry;
                        if (!m.Contains((ulong)cell) || !m.Contains((ulong)cell + 7)) return RowError(ref err, GCStaticRegionSection, (ulong)cell, "static cell outside the patch data");
                        if (((*(int*)cell) & 1) != 0) cells++;
                    }
                if (row[i].SectionId == ModuleInitializerSection || row[i].SectionId == EagerCctorSection)
                {
                    int step = row[i].SectionId == ModuleInitializerSection ? 4 : sizeof(nint);
                    for (byte* entry = row[i].Start; entry + step <= row[i].End; entry += step)
                    {
                        ulong target = step == 4 ? (ulong)(entry + *(int*)entry) : *(ulong*)entry;
                        if (target < m.TextBase || target >= m.TextBase + m.TextSize) return RowError(ref err, row[i].SectionId, target, "initializer outside the patch text");
                    }
                }
            }
            if (cells > 0)
            {
                m.StaticCells = (nint**)Heap.Allocate((uint)(cells * sizeof(nint*)));
                if (m.StaticCells == null) { err.Set(LinkErrorCode.OutOfMemory, "heap exhausted recording static cells"); return false; }
                for (int i = 0; i < rows; i++)
                    if (row[i].SectionId == GCStaticRegionSection)
                        for (byte* entry = row[i].Start; entry + 4 <= row[i].End; entry += 4)
                        {
                            byte* cell = entry + *(int*)entry;
                            if (((*(int*)cell) & 1) != 0) m.StaticCells[m.StaticCellCount++] = (nint*)cell;
                        }
            }
            if (Internal.Runtime.CompilerHelpers.StartupCodeHelpers.InitializeModule(m.ReadyToRunHeader) < 0)
            {
                err.Set(LinkErrorCode.BadModule, "InitializeModule refused the ReadyToRun header");
                return false;
            }
            m.Initialized = true;
            for (int i = 0; i < rows; i++)
                if (row[i].SectionId == ModuleInitializerSection)
                    for (byte* entry = row[i].Start; entry + 4 <= row[i].End; entry += 4)
                        ((delegate*<void>)(entry + *(int*)entry))();
            return true;
        }

        private static bool RowError(ref LinkError err, int section, ulong address, string what)
        {
            err.Set(LinkErrorCode.BadModule, "section ");
            err.AppendDecimal(section);
            err.Append(": ");
            err.Append(what);
            err.Append(" at ");
            err.AppendHex(address);
            return false;
        }

        /// <summary>
        /// Removes a module: its exports leave the chain, its static bases
        /// (from <see cref="Initialize"/>) and its frames are freed, its
        /// addresses are retired for good (see <see cref="PatchMemory"/>).
        /// The caller guarantees quiescence: no thread runs or will run the
        /// patch's code, and no live object has a patch MethodTable or points
        /// into the patch's data (its string literals and frozen objects).
        /// </summary>
        public static bool Unload(PatchModule m)
        {
            if (m == null || m.Unloaded) return false;
            while (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0) Cpu.Relax();
            if (s_first == m) s_first = m.Next;
            else
                for (PatchModule p = s_first; p != null; p = p.Next)
                    if (p.Next == m) { p.Next = m.Next; break; }
            m.Unloaded = true;
            s_loaded--;
            Discard(m);
            Volatile.Write(ref s_busy, 0);
            return true;
        }

        /// <summary>Frees what a module holds, then the module object.</summary>
        private static void Discard(PatchModule m)
        {
            for (int i = 0; i < m.StaticCellCount; i++)
            {
                nint obj = *m.StaticCells[i];
                if (obj != 0 && (obj & 3) == 0 && !m.Contains((ulong)obj)) Heap.Free((void*)obj);
            }
            if (m.StaticCells != null) Heap.Free(m.StaticCells);
            m.StaticCells = null;
            m.StaticCellCount = 0;
            m.FreeExports();
            if (m.ReservationSize != 0) PatchMemory.Release(m.ReservationBase, m.ReservationSize);
            Heap.Free(m);
        }
    }
}
