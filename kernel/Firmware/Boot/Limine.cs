using System.Runtime.InteropServices;

namespace Molt.Boot
{
    /// <summary>A Limine request: 4 id words, the revision asked for, and the response the loader fills in (null if unsupported).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct LimineRequest
    {
        public ulong Id0, Id1, Id2, Id3;
        public ulong Revision;
        public void* Response;
    }

    /// <summary>Mirror of the request block in kernel/Firmware/Boot/limine-requests.inc.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct LimineRequests
    {
        public ulong StartMarker0, StartMarker1, StartMarker2, StartMarker3;
        public ulong BaseRevisionMagic0, BaseRevisionLoaded, BaseRevisionSupported;
        public LimineRequest Hhdm;
        public LimineRequest MemoryMap;
        public LimineRequest ExecutableAddress;
        public LimineRequest ExecutableFile;
        public LimineRequest ExecutableCommandLine;
        public LimineRequest Rsdp;
        public LimineRequest DeviceTree;
        public LimineRequest Framebuffer;
        public LimineRequest BootloaderInfo;
        public LimineRequest Mp;
        public ulong MpFlags;
        public ulong EndMarker0, EndMarker1;
        /// <summary>BASE_REVISION of the arch's boot/limine.S, kept past the end marker where loaders don't write.</summary>
        public ulong BaseRevisionAsked;
    }

    /// <summary>
    /// Reads what Limine answered into a <see cref="BootInfo"/>. Works with
    /// Limine 8.x (base revision up to 3) and the current 12.x series:
    /// <list type="number">
    /// <item>The revision is supported when the third word of the base-revision tag is 0.</item>
    /// <item>The revision actually loaded is in the second word, valid only once it no longer holds the magic.</item>
    /// <item>The command line comes from the executable-cmdline response (new loaders) or the executable file's string (8.x).</item>
    /// <item>The framebuffer's address is in the HHDM under every revision; <see cref="BootInfo.FramebufferPhysical"/> is physical.</item>
    /// <item>The RSDP address is physical only under base revision 3; every other revision (and 8.x, which
    /// runs revision 2 when asked for 3) gives it in the HHDM. <see cref="BootInfo.Rsdp"/> is physical.</item>
    /// </list>
    /// </summary>
    public static unsafe class Limine
    {
        private const ulong BaseRevisionMagic = 0x6a7b384944536bdc;

        [StructLayout(LayoutKind.Sequential)]
        private struct HhdmResponse { public ulong Revision; public ulong Offset; }

        [StructLayout(LayoutKind.Sequential)]
        private struct MemmapResponse { public ulong Revision; public ulong Count; public MemmapEntry** Entries; }

        [StructLayout(LayoutKind.Sequential)]
        private struct MemmapEntry { public ulong Base; public ulong Length; public ulong Type; }

        [StructLayout(LayoutKind.Sequential)]
        private struct ExecutableAddressResponse { public ulong Revision; public ulong PhysicalBase; public ulong VirtualBase; }

        [StructLayout(LayoutKind.Sequential)]
        private struct FileResponse { public ulong Revision; public LimineFile* File; }

        [StructLayout(LayoutKind.Sequential)]
        private struct LimineFile { public ulong Revision; public void* Address; public ulong Size; public byte* Path; public byte* String; }

        [StructLayout(LayoutKind.Sequential)]
        private struct CommandLineResponse { public ulong Revision; public byte* CommandLine; }

        [StructLayout(LayoutKind.Sequential)]
        private struct AddressResponse { public ulong Revision; public ulong Address; }

        [StructLayout(LayoutKind.Sequential)]
        private struct FramebufferResponse { public ulong Revision; public ulong Count; public LimineFramebuffer** Framebuffers; }

        /// <summary>One framebuffer; the address is in the HHDM. Memory model 1 is direct RGB.</summary>
        [StructLayout(LayoutKind.Sequential)]
        private struct LimineFramebuffer
        {
            public ulong Address;
            public ulong Width, Height, Pitch;
            public ushort Bpp;
            public byte MemoryModel;
            public byte RedSize, RedShift, GreenSize, GreenShift, BlueSize, BlueShift;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct BootloaderInfoResponse { public ulong Revision; public byte* Name; public byte* Version; }

        /// <summary>
        /// The base revision the loader used: the second word of the tag when a
        /// newer loader wrote it there, else the one asked for if the loader
        /// supports it (third word zeroed), else -1: an older revision the
        /// loader did not name. Limine 8.2 supports up to 2 and, asked for 3,
        /// leaves the tag untouched and runs revision 2.
        /// </summary>
        public static int LoadedRevision(LimineRequests* r, int asked)
        {
            if (r->BaseRevisionLoaded != BaseRevisionMagic) return (int)r->BaseRevisionLoaded;
            if (r->BaseRevisionSupported == 0) return asked;
            return -1;
        }

        public static void Fill(LimineRequests* r, BootInfo* info)
        {
            info->Protocol = BootProtocol.Limine;
            info->BaseRevisionAsked = (int)r->BaseRevisionAsked;
            info->BaseRevision = LoadedRevision(r, info->BaseRevisionAsked);
            var bl = (BootloaderInfoResponse*)r->BootloaderInfo.Response;
            if (bl != null) info->SetLoaderName(bl->Name, bl->Version);
            var hhdm = (HhdmResponse*)r->Hhdm.Response;
            info->DirectMapOffset = hhdm != null ? hhdm->Offset : 0;
            var mm = (MemmapResponse*)r->MemoryMap.Response;
            if (mm != null)
                for (ulong i = 0; i < mm->Count; i++)
                {
                    MemmapEntry* e = mm->Entries[i];
                    info->AddRegion(e->Base, e->Length, e->Type <= 7 ? (MemoryKind)(uint)e->Type : MemoryKind.Reserved);
                }
            var ea = (ExecutableAddressResponse*)r->ExecutableAddress.Response;
            if (ea != null) { info->KernelPhysicalBase = ea->PhysicalBase; info->KernelVirtualBase = ea->VirtualBase; }
            var cl = (CommandLineResponse*)r->ExecutableCommandLine.Response;
            var file = (FileResponse*)r->ExecutableFile.Response;
            if (cl != null && cl->CommandLine != null) info->SetCommandLine(cl->CommandLine);
            else if (file != null && file->File != null) info->SetCommandLine(file->File->String);
            else info->SetCommandLine(null);
            var rsdp = (AddressResponse*)r->Rsdp.Response;
            if (rsdp != null)
            {
                // Revision 3 gives a physical address, all others an HHDM one; no
                // physical address reaches the HHDM base, so the check below is
                // right whatever revision is in force (also when it is unknown).
                ulong a = rsdp->Address;
                info->Rsdp = info->DirectMapOffset != 0 && a >= info->DirectMapOffset ? a - info->DirectMapOffset : a;
            }
            var dtb = (AddressResponse*)r->DeviceTree.Response;
            // The response is an HHDM pointer; BootInfo keeps physical addresses.
            if (dtb != null) info->DeviceTree = dtb->Address >= info->DirectMapOffset && info->DirectMapOffset != 0 ? dtb->Address - info->DirectMapOffset : dtb->Address;
            info->LimineMp = (ulong)r->Mp.Response;
            var fbs = (FramebufferResponse*)r->Framebuffer.Response;
            if (fbs != null && fbs->Count > 0 && fbs->Framebuffers[0] != null)
            {
                // The first framebuffer is the one Limine drew on; its address is an HHDM one.
                LimineFramebuffer* fb = fbs->Framebuffers[0];
                ulong a = fb->Address;
                if (info->DirectMapOffset != 0 && a >= info->DirectMapOffset) a -= info->DirectMapOffset;
                if (fb->MemoryModel == 1 && fb->Width <= uint.MaxValue && fb->Height <= uint.MaxValue && fb->Pitch <= uint.MaxValue)
                    info->SetFramebuffer(a, (uint)fb->Width, (uint)fb->Height, (uint)fb->Pitch, fb->Bpp,
                                         fb->RedShift, fb->RedSize, fb->GreenShift, fb->GreenSize, fb->BlueShift, fb->BlueSize);
            }
        }
    }
}
