using System;
using Molt.Hal;
using Molt.Memory;
using Molt.Testing;
using Molt.Update.Linker;

namespace Molt.Update.Tests
{
    /// <summary>
    /// The runtime linker on a real patch object: tests/patches/linkprobe,
    /// compiled by <c>make patch-fixtures</c> against this kernel's molt.dll
    /// and embedded into the kernel (PatchFixtures). It implements the
    /// kernel's <see cref="ILinkProbe{T}"/> and <see cref="LinkProbeBase"/>.
    /// </summary>
    internal static unsafe class LinkerTests
    {
        public static void Register()
        {
            TestRunner.Add("update.link.fixture_is_embedded_and_parses", &FixtureParses);
            TestRunner.Add("update.link.one_type_identity_across_the_boundary", &OneTypeIdentity);
            TestRunner.Add("update.link.module_init_sets_statics", &ModuleInit);
            TestRunner.Add("update.link.pages_are_w_xor_x_and_unload_frees_them", &Permissions);
            TestRunner.Add("update.link.exports_resolve_for_later_patches", &Exports);
            TestRunner.Add("update.link.a_later_patch_links_against_an_earlier_one", &Chain);
            TestRunner.Add("update.link.refuses_an_undefined_symbol_by_name", &RefusesUndefined);
            TestRunner.Add("update.link.refuses_an_unsupported_relocation_by_type", &RefusesRelocation);
            TestRunner.Add("update.link.refuses_a_truncated_object", &RefusesTruncated);
        }

        private const string Fixture = "linkprobe";
        private const string Prefix = "linkprobe_LinkProbePatch_";

        private static ReadOnlySpan<byte> Object() => PatchFixtures.Find(Fixture);

        /// <summary>Whether the error's message contains <paramref name="what"/>.</summary>
        internal static bool Says(ref LinkError err, string what)
        {
            for (int i = 0; i + what.Length <= err.Length; i++)
            {
                int j = 0;
                while (j < what.Length && err[i + j] == what[j]) j++;
                if (j == what.Length) return true;
            }
            return false;
        }

        private static void Report(TestContext t, ref LinkError err, string what)
        {
            if (!err.Failed) return;
            Console.Log.Warn("link", $"{what}: {new Console.AsciiText(ErrorText(ref err), err.Length)}");
            t.Fail(what);
        }

        private static byte* s_text;
        private static byte* ErrorText(ref LinkError err)
        {
            if (s_text == null) s_text = (byte*)Heap.AllocateOrPanic(LinkError.Capacity);
            err.CopyTo(new Span<byte>(s_text, LinkError.Capacity));
            return s_text;
        }

        private static bool LoadProbe(TestContext t, out PatchModule m, bool initialize)
        {
            var err = new LinkError();
            if (!PatchLoader.Load(Object(), out m, ref err)) { Report(t, ref err, "load"); return false; }
            if (initialize && !PatchLoader.Initialize(m, ref err)) { Report(t, ref err, "initialize"); PatchLoader.Unload(m); return false; }
            return true;
        }

        private static void FixtureParses(TestContext t)
        {
            ReadOnlySpan<byte> elf = Object();
            if (!t.True(elf.Length > 64, "the linkprobe object is embedded")) return;
            var err = new LinkError();
            ElfObject obj;
            t.True(ElfObject.Parse(elf, PatchLoader.Arch, out obj, ref err), "parses");
            t.True(obj.SectionCount > 10 && obj.SymbolCount > 10, "has sections and symbols");
        }

        private static void OneTypeIdentity(TestContext t)
        {
            PatchModule m;
            if (!LoadProbe(t, out m, true)) return;
            ulong create = m.Find(Prefix + "Entry__Create");
            ulong isKernel = m.Find(Prefix + "Entry__IsKernelProbe");
            ulong isPatch = m.Find(Prefix + "Entry__IsPatchProbe");
            ulong callKernel = m.Find(Prefix + "Entry__CallKernel");
            ulong greeting = m.Find(Prefix + "Entry__Greeting");
            if (t.True(create != 0 && isKernel != 0 && isPatch != 0 && callKernel != 0 && greeting != 0, "the patch exports its methods"))
            {
                object o = ((delegate*<object>)create)();
                var kernelProbe = new KernelLinkProbe();
                // Kernel call sites warmed on the kernel's implementer, then given the patch's.
                int warm = 0;
                for (int i = 0; i < 16; i++) warm += LinkProbeCalls.Step(kernelProbe, i) + LinkProbeCalls.Kind(kernelProbe);
                t.True(o != null, "the patch made its object");
                t.True(LinkProbeCalls.IsProbe(o), "kernel: patch object is ILinkProbe<object>");
                t.True(LinkProbeCalls.IsBase(o), "kernel: patch object is LinkProbeBase");
                t.True(!LinkProbeCalls.IsKernelProbe(o), "kernel: patch object is not KernelLinkProbe");
                t.True(((delegate*<object, bool>)isKernel)(kernelProbe), "patch: kernel object is KernelLinkProbe");
                t.True(((delegate*<object, bool>)isPatch)(o), "patch: its object is PatchProbe");
                t.True(!((delegate*<object, bool>)isPatch)(kernelProbe), "patch: kernel object is not PatchProbe");
                t.Equal(108, LinkProbeCalls.Step((ILinkProbe<object>)o, 1), "kernel interface call site reaches the patch's Step (1 + 100 + Bias 7)");
                t.Equal(2, LinkProbeCalls.Kind((LinkProbeBase)o), "kernel abstract call site reaches the patch's Kind");
                t.Equal("patch-probe", LinkProbeCalls.Name((LinkProbeBase)o), "the patch's string literal, through a kernel call site");
                t.Equal(1, ((delegate*<LinkProbeBase, int>)callKernel)(kernelProbe), "patch calls the kernel's override");
                string patchGreeting = ((delegate*<string>)greeting)();
                t.True(string.Equals(patchGreeting, kernelProbe.Name()), "a patch string literal equals a kernel string by content");
                t.True((object)patchGreeting != (object)kernelProbe.Name(), "... as a different object (the patch's own frozen string)");
                t.True(warm != 0, "warm-up ran");
                Heap.Free(o);
                Heap.Free(kernelProbe);
            }
            PatchLoader.Unload(m);
        }

        private static void ModuleInit(TestContext t)
        {
            PatchModule m;
            if (!LoadProbe(t, out m, false)) return;
            ulong initRuns = m.Find(Prefix + "Entry__InitRuns");
            ulong greeting = m.Find(Prefix + "Entry__Greeting");
            if (t.True(initRuns != 0 && greeting != 0, "exports found"))
            {
                var err = new LinkError();
                t.True(PatchLoader.Initialize(m, ref err), "initialize");
                t.True(m.StaticCellCount >= 1, "section 201 had a GC static base to allocate");
                t.Equal(1, ((delegate*<int>)initRuns)(), "the section 213 module initializer ran once");
                t.Equal("kernel-probe", ((delegate*<string>)greeting)(), "a non-readonly static string is set after init");
                t.True(!PatchLoader.Initialize(m, ref err) && Says(ref err, "already initialized"), "a second initialize is refused");
            }
            PatchLoader.Unload(m);
        }

        private static void Permissions(TestContext t)
        {
            long framesBefore = PatchMemory.FramesInUse;
            ulong freeBefore = FrameAllocator.FreeFrames;
            long heapBefore = Heap.BytesInUse;
            PatchModule m;
            if (!LoadProbe(t, out m, true)) return;
            ulong root = KernelAddressSpace.Root, phys;
            t.True(PatchMemory.FramesInUse > framesBefore, "frames back the patch");
            t.True(m.TextBase >= PatchMemory.RegionBase && m.DataBase + m.DataSize <= PatchMemory.RegionLimit, "inside the patch region");
            t.True(PageTables.Query(root, m.TextBase, out phys) == (PageAccess.Read | PageAccess.Execute), "text is read+execute");
            if (m.RodataSize != 0) t.True(PageTables.Query(root, m.RodataBase, out phys) == PageAccess.Read, "rodata is read-only");
            t.True(PageTables.Query(root, m.DataBase, out phys) == (PageAccess.Read | PageAccess.Write), "data is read+write, not executable");
            t.True(PageTables.Query(root, m.TextBase + m.TextSize, out phys) == PageAccess.None, "a guard page follows text");
#if ARCH_ARM64
            t.True(m.DataBase + m.DataSize - Layout.KernelStart < (1UL << 27), "arm64: the patch is within CALL26 reach of all kernel text");
#else
            t.True(m.TextBase >= 0xFFFFFFFF80000000UL, "x64: the patch is in the top 2 GiB with the kernel");
#endif
            ulong text = m.TextBase;
            ulong nextBefore = PatchMemory.Reserved;
            PatchLoader.Unload(m);
            t.Equal(framesBefore, PatchMemory.FramesInUse, "unload returns every frame");
            t.Equal((long)freeBefore, (long)FrameAllocator.FreeFrames, "the frame allocator has them back");
            t.Equal(heapBefore, Heap.BytesInUse, "no heap block leaks (module, exports, static bases)");
            t.True(PageTables.Query(root, text, out phys) == PageAccess.None, "text is unmapped");
            // Addresses are retired: the next load lands higher.
            if (!LoadProbe(t, out m, false)) return;
            t.True(m.TextBase > text && PatchMemory.Reserved > nextBefore, "an unloaded patch's addresses are never reused");
            PatchLoader.Unload(m);
        }

        private static void Exports(TestContext t)
        {
            PatchModule m;
            if (!LoadProbe(t, out m, false)) return;
            t.True(m.ExportCount > 5, "the patch exports its types and methods");
            ulong a;
            byte* name = stackalloc byte[64];
            string s = "_ZTV35linkprobe_LinkProbePatch_PatchProbe";
            for (int i = 0; i < s.Length; i++) name[i] = (byte)s[i];
            t.True(PatchLoader.TryResolve(new ReadOnlySpan<byte>(name, s.Length), out a) && m.Contains(a), "a later patch resolves the new type's MethodTable to this patch");
            s = "linkprobe__ReadyToRunHeader";
            for (int i = 0; i < s.Length; i++) name[i] = (byte)s[i];
            t.True(!m.TryFind(new ReadOnlySpan<byte>(name, s.Length), out a), "module-private names are not exported");
            s = "RhpNewFast";
            for (int i = 0; i < s.Length; i++) name[i] = (byte)s[i];
            t.True(PatchLoader.TryResolve(new ReadOnlySpan<byte>(name, s.Length), out a) && !m.Contains(a), "kernel names resolve to the kernel");
            PatchLoader.Unload(m);
            s = "_ZTV35linkprobe_LinkProbePatch_PatchProbe";
            for (int i = 0; i < s.Length; i++) name[i] = (byte)s[i];
            t.True(!PatchLoader.TryResolve(new ReadOnlySpan<byte>(name, s.Length), out a), "unload removes the exports");
        }

        /// <summary>
        /// tests/patches/linkprobe2 is compiled against the kernel and linkprobe:
        /// alone it is refused (the first patch's names are undefined); after
        /// linkprobe it links against linkprobe's exports, and its casts and
        /// calls meet linkprobe's types.
        /// </summary>
        private static void Chain(TestContext t)
        {
            ReadOnlySpan<byte> second = PatchFixtures.Find("linkprobe2");
            if (!t.True(second.Length > 64, "linkprobe2 is embedded")) return;
            var err = new LinkError();
            PatchModule m1, m2;
            t.True(!PatchLoader.Load(second, out m2, ref err) && err.Code == LinkErrorCode.UndefinedSymbols
                   && Says(ref err, "linkprobe_LinkProbePatch_"), "alone: refused, naming the first patch's symbols");
            if (!LoadProbe(t, out m1, true)) return;
            if (PatchLoader.Load(second, out m2, ref err))
            {
                if (PatchLoader.Initialize(m2, ref err))
                {
                    ulong kindPlus40 = m2.Find("linkprobe2_LinkProbe2Patch_Entry2__KindPlus40");
                    ulong create = m2.Find("linkprobe2_LinkProbe2Patch_Entry2__CreateThroughFirst");
                    ulong isFirst = m2.Find("linkprobe2_LinkProbe2Patch_Entry2__IsFirstPatchProbe");
                    ulong isBase = m2.Find("linkprobe2_LinkProbe2Patch_Entry2__IsKernelBase");
                    if (t.True(kindPlus40 != 0 && create != 0 && isFirst != 0 && isBase != 0, "the second patch exports its methods"))
                    {
                        object o = ((delegate*<object>)create)();
                        var kernelProbe = new KernelLinkProbe();
                        t.True(o != null && LinkProbeCalls.IsBase(o), "the first patch's object, made through the second");
                        t.Equal(42, ((delegate*<object, int>)kindPlus40)(o), "the second patch casts to the first's class and calls its override");
                        t.True(((delegate*<object, bool>)isFirst)(o), "second patch: the object is the first patch's PatchProbe");
                        t.True(!((delegate*<object, bool>)isFirst)(kernelProbe), "second patch: a kernel probe is not");
                        t.True(((delegate*<object, bool>)isBase)(o), "second patch: the object is the kernel's LinkProbeBase");
                        Heap.Free(o);
                        Heap.Free(kernelProbe);
                    }
                }
                else Report(t, ref err, "initialize linkprobe2");
                PatchLoader.Unload(m2);
            }
            else Report(t, ref err, "load linkprobe2 after linkprobe");
            PatchLoader.Unload(m1);
        }

        /// <summary>A heap copy of the fixture to damage; the caller frees it.</summary>
        private static byte* Copy(out int length)
        {
            ReadOnlySpan<byte> elf = Object();
            length = elf.Length;
            byte* copy = (byte*)Heap.AllocateOrPanic((uint)length);
            for (int i = 0; i < length; i++) copy[i] = elf[i];
            return copy;
        }

        private static void RefusesUndefined(TestContext t)
        {
            int length;
            byte* copy = Copy(out length);
            // Rename the patch's reference to RhpNewFast in the symbol string table.
            int at = Find(copy, length, "\0RhpNewFast\0");
            if (t.True(at >= 0, "the object references RhpNewFast"))
            {
                copy[at + 10] = (byte)'X';
                long framesBefore = PatchMemory.FramesInUse, heapBefore = Heap.BytesInUse;
                var err = new LinkError();
                PatchModule m;
                t.True(!PatchLoader.Load(new ReadOnlySpan<byte>(copy, length), out m, ref err), "refused");
                t.True(err.Code == LinkErrorCode.UndefinedSymbols, "as undefined symbols");
                t.True(Says(ref err, "RhpNewFasX"), "naming the symbol");
                t.Equal(framesBefore, PatchMemory.FramesInUse, "no frame leaks on failure");
                t.Equal(heapBefore, Heap.BytesInUse, "no heap leaks on failure");
            }
            Heap.Free(copy);
        }

        private static void RefusesRelocation(TestContext t)
        {
            int length;
            byte* copy = Copy(out length);
            var span = new ReadOnlySpan<byte>(copy, length);
            var err = new LinkError();
            ElfObject obj;
            int entryAt = -1;
            if (ElfObject.Parse(span, PatchLoader.Arch, out obj, ref err))
                for (int i = 1; i < obj.SectionCount && entryAt < 0; i++)
                {
                    ElfSection s = obj.Section(i);
                    if (s.Type == Elf.ShtRela && obj.RelocationCount(i) > 0 && SymbolPolicy.Equal(obj.SectionName((int)s.Info), "__managedcode"))
                        entryAt = (int)s.Offset;
                }
            if (t.True(entryAt >= 0, "a code relocation to damage"))
            {
                uint type = PatchLoader.Arch == PatchArch.X64 ? 9u : 311u; // GOTPCREL / ADR_GOT_PAGE: GOT relocations, never emitted by ilc
                *(uint*)(copy + entryAt + 8) = type;
                PatchModule m;
                long framesBefore = PatchMemory.FramesInUse, heapBefore = Heap.BytesInUse;
                t.True(!PatchLoader.Load(span, out m, ref err), "refused");
                t.True(err.Code == LinkErrorCode.UnsupportedRelocation, "as an unsupported relocation");
                t.True(Says(ref err, PatchLoader.Arch == PatchArch.X64 ? "9 (R_X86_64_GOTPCREL)" : "311 (R_AARCH64_ADR_GOT_PAGE)"), "naming the type");
                t.True(Says(ref err, "'__managedcode'") && Says(ref err, "at offset 0x"), "naming the section and offset");
                t.Equal(framesBefore, PatchMemory.FramesInUse, "no frame leaks after mapping");
                t.Equal(heapBefore, Heap.BytesInUse, "no heap leaks after mapping");
            }
            Heap.Free(copy);
        }

        private static void RefusesTruncated(TestContext t)
        {
            ReadOnlySpan<byte> elf = Object();
            var err = new LinkError();
            PatchModule m;
            t.True(!PatchLoader.Load(elf.Slice(0, elf.Length / 2), out m, ref err), "half an object is refused");
            t.True(err.Code == LinkErrorCode.BadSection && Says(ref err, "e_shoff"), "the section header table is named");
            t.True(!PatchLoader.Load(elf.Slice(0, 40), out m, ref err) && err.Code == LinkErrorCode.BadHeader, "40 bytes: no ELF header");
        }

        private static int Find(byte* p, int length, string s)
        {
            for (int i = 0; i + s.Length <= length; i++)
            {
                int j = 0;
                while (j < s.Length && p[i + j] == s[j]) j++;
                if (j == s.Length) return i;
            }
            return -1;
        }
    }
}
