using Molt.Boot;
using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>
    /// The device tree reader and <see cref="DeviceTreeBoot"/> on a blob built
    /// here (so the tests run on every arch), then the same blob broken in
    /// each way <see cref="DeviceTree.Open"/> must refuse. Also
    /// <see cref="BootInfo.Carve"/>, which every boot path uses.
    /// </summary>
    internal static unsafe class DeviceTreeTests
    {
        public static void Register()
        {
            TestRunner.Add("boot.devicetree.read", &Read);
            TestRunner.Add("boot.devicetree.bootinfo", &FillsBootInfo);
            TestRunner.Add("boot.devicetree.malformed", &Malformed);
            TestRunner.Add("boot.carve", &Carve);
        }

        /// <summary>Writes a DTB: header, one reservation, structure block, strings block.</summary>
        internal struct Builder
        {
            public byte* Buffer;
            public int Struct, StructEnd, Strings, StringsEnd;

            private static void Put32(byte* p, uint v) { p[0] = (byte)(v >> 24); p[1] = (byte)(v >> 16); p[2] = (byte)(v >> 8); p[3] = (byte)v; }

            public void Token(uint v) { Put32(Buffer + StructEnd, v); StructEnd += 4; }

            public void Begin(string name)
            {
                Token(1);
                for (int i = 0; i < name.Length; i++) Buffer[StructEnd++] = (byte)name[i];
                Buffer[StructEnd++] = 0;
                while ((StructEnd & 3) != 0) Buffer[StructEnd++] = 0;
            }

            public void End() => Token(2);

            private uint Name(string name)
            {
                // No de-duplication: each property gets its own copy of its name.
                uint offset = (uint)(StringsEnd - Strings);
                for (int i = 0; i < name.Length; i++) Buffer[StringsEnd++] = (byte)name[i];
                Buffer[StringsEnd++] = 0;
                return offset;
            }

            public void Cells(string name, uint c0, int count = 1, uint c1 = 0, uint c2 = 0, uint c3 = 0)
            {
                Token(3); Token((uint)(4 * count)); Token(Name(name));
                Token(c0);
                if (count > 1) Token(c1);
                if (count > 2) Token(c2);
                if (count > 3) Token(c3);
            }

            /// <summary>A string property; '|' in <paramref name="text"/> becomes a NUL (string lists).</summary>
            public void Text(string name, string text)
            {
                Token(3); Token((uint)(text.Length + 1)); Token(Name(name));
                for (int i = 0; i < text.Length; i++) Buffer[StructEnd++] = text[i] == '|' ? (byte)0 : (byte)text[i];
                Buffer[StructEnd++] = 0;
                while ((StructEnd & 3) != 0) Buffer[StructEnd++] = 0;
            }

            public void Empty(string name) { Token(3); Token(0); Token(Name(name)); }

            /// <summary>A property of <paramref name="count"/> cells.</summary>
            public void CellArray(string name, uint* cells, int count)
            {
                Token(3); Token((uint)(4 * count)); Token(Name(name));
                for (int i = 0; i < count; i++) Token(cells[i]);
            }

            /// <summary>Writes the header; returns the total size.</summary>
            public int Finish()
            {
                Token(9);
                int total = StringsEnd;
                Put32(Buffer + 0, DeviceTree.Magic);
                Put32(Buffer + 4, (uint)total);
                Put32(Buffer + 8, (uint)Struct);
                Put32(Buffer + 12, (uint)Strings);
                Put32(Buffer + 16, 48);            // reservation block right after the header
                Put32(Buffer + 20, 17);
                Put32(Buffer + 24, 16);
                Put32(Buffer + 28, 0);
                Put32(Buffer + 32, (uint)(StringsEnd - Strings));
                Put32(Buffer + 36, (uint)(StructEnd - Struct));
                return total;
            }
        }

        internal const int BlobSize = 4096;

        /// <summary>
        /// / { #address-cells = 2; #size-cells = 2;
        ///     chosen { bootargs = "test x=1"; stdout-path = "serial0:115200"; };
        ///     aliases { serial0 = "/soc/uart@1000"; };
        ///     memory@80000000 { device_type = "memory"; reg = &lt;0 0x80000000 0 0x10000000&gt;; };
        ///     reserved-memory { #address-cells = 2; #size-cells = 2; ranges; fw@80100000 { reg = &lt;0 0x80100000 0 0x2000&gt;; }; };
        ///     soc { #address-cells = 1; #size-cells = 1; ranges = &lt;0 0 0x09000000 0x100000&gt;;
        ///           uart@0 { compatible = "arm,pl011", "arm,primecell"; status = "disabled"; reg = &lt;0 0x1000&gt;; };
        ///           uart@1000 { compatible = "arm,pl011", "arm,primecell"; reg = &lt;0x1000 0x1000&gt;; }; }; }
        /// plus /memreserve/ 0x8ff00000 0x1000.
        /// </summary>
        private static int Build(byte* buffer)
        {
            for (int i = 0; i < BlobSize; i++) buffer[i] = 0;
            var b = new Builder { Buffer = buffer, Struct = 80, StructEnd = 80 };
            // One reservation at 48, then the zero terminator at 64.
            ulong ra = 0x8ff00000, rs = 0x1000;
            for (int i = 0; i < 8; i++) { buffer[48 + i] = (byte)(ra >> (56 - 8 * i)); buffer[56 + i] = (byte)(rs >> (56 - 8 * i)); }
            b.Strings = b.StringsEnd = 2048;
            b.Begin("");
            b.Cells("#address-cells", 2); b.Cells("#size-cells", 2);
            b.Begin("chosen"); b.Text("bootargs", "test x=1"); b.Text("stdout-path", "serial0:115200"); b.End();
            b.Begin("aliases"); b.Text("serial0", "/soc/uart@1000"); b.End();
            b.Begin("memory@80000000"); b.Text("device_type", "memory"); b.Cells("reg", 0, 4, 0x80000000, 0, 0x10000000); b.End();
            b.Begin("reserved-memory"); b.Cells("#address-cells", 2); b.Cells("#size-cells", 2); b.Empty("ranges");
            b.Begin("fw@80100000"); b.Cells("reg", 0, 4, 0x80100000, 0, 0x2000); b.End();
            b.End();
            b.Begin("soc"); b.Cells("#address-cells", 1); b.Cells("#size-cells", 1); b.Cells("ranges", 0, 4, 0, 0x09000000, 0x100000);
            b.Begin("uart@0"); b.Text("compatible", "arm,pl011|arm,primecell"); b.Text("status", "disabled"); b.Cells("reg", 0, 2, 0x1000); b.End();
            b.Begin("uart@1000"); b.Text("compatible", "arm,pl011|arm,primecell"); b.Cells("reg", 0x1000, 2, 0x1000); b.End();
            b.End();
            b.End();
            return b.Finish();
        }

        private static void Read(TestContext t)
        {
            byte* blob = (byte*)Heap.AllocateOrPanic(BlobSize);
            int size = Build(blob);
            DeviceTree tree;
            string error = DeviceTree.Open(blob, BlobSize, out tree);
            if (!t.True(error == null, error == null ? "" : error)) { Heap.Free(blob); return; }
            t.Equal((long)size, (long)tree.TotalSize, "total size");
            int chosen = tree.FindNode("/chosen");
            t.True(chosen >= 0, "/chosen found");
            int n;
            byte* args = tree.GetString(chosen, "bootargs", out n);
            t.True(args != null && n == 8 && args[0] == 't' && args[7] == '1', "bootargs read");
            t.True(tree.FindNode("/memory") >= 0, "/memory matches memory@80000000");
            t.True(tree.FindNode("/memory@80000000") >= 0, "a full unit address matches");
            t.True(tree.FindNode("/memory@1") < 0, "a wrong unit address does not");
            t.True(tree.FindNode("/soc/uart@1000") >= 0, "a two-level path");
            t.True(tree.FindNode("/uart@1000") < 0, "no match at the wrong level");
            int uart = tree.FindCompatible(DeviceTreeBoot.Pl011);
            t.True(uart == tree.FindNode("/soc/uart@1000"), "the disabled UART is skipped");
            t.True(tree.IsCompatible(uart, "arm,primecell"), "second compatible string");
            t.True(!tree.IsCompatible(uart, "arm,pl01"), "no prefix match");
            t.Equal(tree.FindNode("/soc"), tree.Parent(uart), "parent");
            t.Equal(-1, tree.Parent(tree.Root), "the root has no parent");
            ulong address, length;
            t.True(tree.ReadReg(uart, 0, out address, out length), "reg read");
            t.Equal(0x09001000UL, address, "reg translated through /soc ranges");
            t.Equal(0x1000UL, length, "reg size");
            t.True(!tree.ReadReg(uart, 1, out address, out length), "only one reg entry");
            ulong ra, rs;
            t.True(tree.GetReservation(0, out ra, out rs) && ra == 0x8ff00000 && rs == 0x1000, "memreserve entry");
            t.True(!tree.GetReservation(1, out ra, out rs), "one memreserve entry");
            int nodes = 0, node = -1, depth = 0, maxDepth = 0;
            while (tree.NextNode(ref node, ref depth)) { nodes++; if (depth > maxDepth) maxDepth = depth; }
            t.Equal(9, nodes, "node count");
            t.Equal(2, maxDepth, "deepest node");
            Heap.Free(blob);
        }

        private static void FillsBootInfo(TestContext t)
        {
            byte* blob = (byte*)Heap.AllocateOrPanic(BlobSize);
            Build(blob);
            var info = (BootInfo*)Heap.AllocateOrPanic((uint)sizeof(BootInfo));
            DeviceTree tree;
            DeviceTree.Open(blob, BlobSize, out tree);
            const ulong BlobPhysical = 0x80200000;
            ulong console = DeviceTreeBoot.Fill(ref tree, BlobPhysical, info, DeviceTreeParts.Everything);
            t.Equal(0x09001000UL, console, "console from stdout-path via /aliases");
            t.Equal(BlobPhysical, info->DeviceTree, "blob recorded");
            t.Equal(8, info->CommandLineLength, "command line length");
            t.True(new CommandLine(info->CommandLine, info->CommandLineLength).Has("test"), "command line parsed");
            // 256 MiB, minus memreserve (4 KiB), reserved-memory (8 KiB) and the blob (one page).
            t.Equal(0x10000000UL - 0x1000 - 0x2000 - 0x1000, info->UsableBytes(), "usable bytes");
            bool reserved = false, blobKept = false;
            for (uint i = 0; i < info->RegionCount; i++)
            {
                MemoryRegion* r = info->Regions + i;
                if (r->Kind == MemoryKind.Reserved && r->Base == 0x80100000 && r->Length == 0x2000) reserved = true;
                if (r->Kind == MemoryKind.BootloaderReclaimable && r->Base == BlobPhysical) blobKept = true;
            }
            t.True(reserved, "reserved-memory carved out");
            t.True(blobKept, "the blob is kept");
            Heap.Free(info);
            Heap.Free(blob);
        }

        private static uint Get32(byte* p) => DeviceTree.ReadBE32(p);
        private static void Set32(byte* p, uint v) { p[0] = (byte)(v >> 24); p[1] = (byte)(v >> 16); p[2] = (byte)(v >> 8); p[3] = (byte)v; }

        /// <summary>Builds the good blob, applies one corruption, and expects Open to refuse it.</summary>
        private static void Expect(TestContext t, byte* blob, int corruption, string what)
        {
            int size = Build(blob);
            uint structOff = Get32(blob + 8), structSize = Get32(blob + 36);
            ulong limit = BlobSize;
            switch (corruption)
            {
                case 0: blob[0] = 0; break;                                        // magic
                case 1: limit = (ulong)size - 1; break;                            // total size beyond what may be read
                case 2: Set32(blob + 8, (uint)size); break;                        // structure block past the end
                case 3: Set32(blob + 36, structSize + 4096); break;                // structure size past the end
                case 4: Set32(blob + 20, 15); break;                               // old version
                case 5: Set32(blob + structOff + structSize - 4, 2); break;        // no end token
                case 6: Set32(blob + structOff + structSize - 8, 1); break;        // unbalanced: the last end-node becomes a begin-node
                case 7: Set32(blob + structOff + 8 + 4, 0x7FFFFFF0); break;        // first property's length huge
                case 8: Set32(blob + structOff + 8 + 8, 0x00FFFFFF); break;        // first property's name offset outside the strings
                case 9: Set32(blob + structOff + 8, 7); break;                     // unknown token
                case 10: Set32(blob + 16, (uint)size); break;                      // reservation block outside
                case 11: for (int i = 2048; i < size; i++) blob[i] = (byte)'a'; break; // property names not terminated
            }
            DeviceTree tree;
            string error = DeviceTree.Open(blob, limit, out tree);
            if (error == null) t.Fail(what);
            else t.True(!tree.IsValid, "a refused tree is not usable");
        }

        private static void Malformed(TestContext t)
        {
            byte* blob = (byte*)Heap.AllocateOrPanic(BlobSize);
            Expect(t, blob, 0, "bad magic accepted");
            Expect(t, blob, 1, "size beyond the limit accepted");
            Expect(t, blob, 2, "structure offset past the end accepted");
            Expect(t, blob, 3, "structure size past the end accepted");
            Expect(t, blob, 4, "version 15 accepted");
            Expect(t, blob, 5, "missing end token accepted");
            Expect(t, blob, 6, "unbalanced nodes accepted");
            Expect(t, blob, 7, "huge property length accepted");
            Expect(t, blob, 8, "property name offset outside the strings accepted");
            Expect(t, blob, 9, "unknown token accepted");
            Expect(t, blob, 10, "reservation block outside accepted");
            Expect(t, blob, 11, "unterminated property name accepted");
            DeviceTree tree;
            t.True(DeviceTree.Open(null, BlobSize, out tree) != null, "null blob refused");
            Heap.Free(blob);
        }

        private static void Carve(TestContext t)
        {
            var info = (BootInfo*)Heap.AllocateOrPanic((uint)sizeof(BootInfo));
            info->AddRegion(0x1000_0000, 0x100_0000, MemoryKind.Usable);
            info->AddRegion(0x2000_0000, 0x10_0000, MemoryKind.Usable);
            info->AddRegion(0x3000_0000, 0x1000, MemoryKind.Reserved);
            info->Carve(0x1040_0000, 0x1080_0001, MemoryKind.KernelAndModules); // the middle, end widened to a page
            t.Equal(5L, (long)info->RegionCount, "middle: below stays, above and carved appended");
            t.Equal(0x40_0000UL, info->Regions[0].Length, "below part");
            t.Equal(0x1080_1000UL, info->Regions[3].Base, "above part starts after the widened end");
            t.Equal((long)MemoryKind.KernelAndModules, (long)info->Regions[4].Kind, "carved part recorded");
            info->Carve(0x2000_0000, 0x2000_1000, MemoryKind.BootloaderReclaimable); // the start of a region
            t.Equal(0x2000_1000UL, info->Regions[1].Base, "start: the rest keeps the slot");
            t.Equal(6L, (long)info->RegionCount, "start: only the carved part appended");
            info->Carve(0x3000_0000, 0x3000_1000, MemoryKind.KernelAndModules); // not usable: untouched
            t.Equal((long)MemoryKind.Reserved, (long)info->Regions[2].Kind, "reserved regions are left alone");
            info->Carve(0x2000_1000, 0x2010_0000, MemoryKind.KernelAndModules); // the whole rest
            t.Equal((long)MemoryKind.KernelAndModules, (long)info->Regions[1].Kind, "whole region: the kind changes in place");
            t.Equal(6L, (long)info->RegionCount, "whole region: nothing appended");
            t.Equal(0x40_0000UL + (0x1100_0000UL - 0x1080_1000UL), info->UsableBytes(), "usable bytes after carving");
            Heap.Free(info);
        }
    }
}
