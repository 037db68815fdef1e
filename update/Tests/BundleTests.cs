using System;
using Molt.Testing;
using Molt.Update.Bundles;

namespace Molt.Update.Tests
{
    /// <summary>
    /// The bundle reader and policy inside the kernel (the host tests fuzz
    /// them; these prove the same code compiles and runs under the kernel's
    /// corelib on each arch). Bundles are built by hand in a stack buffer:
    /// nothing is allocated.
    /// </summary>
    internal static unsafe class BundleTests
    {
        public static void Register()
        {
            TestRunner.Add("update.bundle.parses_a_well_formed_bundle", &Parses);
            TestRunner.Add("update.bundle.refuses_with_reason_and_offset", &Refuses);
            TestRunner.Add("update.bundle.policy_checks_arch_build_level_sequence", &Policy);
        }

        private const int SampleSize = 296;

        private static void Put32(Span<byte> b, int at, uint v) { b[at] = (byte)v; b[at + 1] = (byte)(v >> 8); b[at + 2] = (byte)(v >> 16); b[at + 3] = (byte)(v >> 24); }

        private static void Part(Span<byte> b, BundlePart p, int offset, int length)
        {
            Put32(b, BundleFormat.OffParts + 8 * (int)p, (uint)offset);
            Put32(b, BundleFormat.OffParts + 8 * (int)p + 4, (uint)length);
        }

        /// <summary>
        /// Name "k" at 112, empty description at 120, one update (class-eager
        /// "T" 1 -> 2) at 120, strings at 136, entry "e" at 144, a 64-byte
        /// ELF header at 160, key id at 224, signature at 232; 296 bytes.
        /// </summary>
        private static void Sample(Span<byte> b, BundleArch arch)
        {
            b.Clear();
            ReadOnlySpan<byte> magic = "MOLTPTCH"u8;
            for (int i = 0; i < 8; i++) b[i] = magic[i];
            b[BundleFormat.OffVersion] = 1;
            b[BundleFormat.OffHeaderSize] = BundleFormat.HeaderSize;
            b[BundleFormat.OffArch] = (byte)arch;
            Put32(b, BundleFormat.OffTotalSize, SampleSize);
            Put32(b, BundleFormat.OffBaseLevel, 2);
            Put32(b, BundleFormat.OffSequence, 7);
            for (int i = 0; i < 32; i++) b[BundleFormat.OffBuildId + i] = (byte)(0xA0 + i);
            Part(b, BundlePart.Name, 112, 1); b[112] = (byte)'k';
            Part(b, BundlePart.Description, 120, 0);
            Part(b, BundlePart.Updates, 120, 16);
            b[120] = (byte)UpdateKind.ClassEager; b[122] = 1; Put32(b, 128, 1); Put32(b, 132, 2);
            Part(b, BundlePart.Strings, 136, 1); b[136] = (byte)'T';
            Part(b, BundlePart.EntrySymbol, 144, 1); b[144] = (byte)'e';
            Part(b, BundlePart.Object, 160, 64);
            b[160] = 0x7F; b[161] = (byte)'E'; b[162] = (byte)'L'; b[163] = (byte)'F'; b[164] = 2; b[165] = 1; b[176] = 1;
            ushort machine = BundleFormat.ElfMachine(arch);
            b[178] = (byte)machine; b[179] = (byte)(machine >> 8);
            for (int i = 0; i < 8; i++) b[224 + i] = (byte)(i + 1);
        }

        private static BundleArch ThisArch =>
#if ARCH_ARM64
            BundleArch.Arm64;
#else
            BundleArch.X64;
#endif

        private static void Parses(TestContext t)
        {
            Span<byte> b = stackalloc byte[SampleSize];
            Sample(b, ThisArch);
            bool ok = BundleReader.TryParse(b, out BundleView v, out BundleError e);
            if (!t.True(ok, e.Reason)) return;
            t.Equal((long)ThisArch, (long)v.Arch, "arch");
            t.Equal(2, v.BaseLevel, "base level");
            t.Equal(7UL, v.Sequence, "sequence");
            t.Equal(1, v.UpdateCount, "one update");
            BundleUpdate u = v.GetUpdate(0);
            t.Equal((long)UpdateKind.ClassEager, (long)u.Kind, "update kind");
            t.Equal(1, u.Target.Length, "target length");
            t.Equal('T', u.Target[0], "target name");
            t.Equal(2, u.ToVersion, "to-version");
            t.Equal(64, v.Object.Length, "object length");
            t.Equal(SampleSize - 64, v.SignedBytes.Length, "the signature covers everything before it");
            t.Equal(5, v.KeyId[4], "key id");
        }

        private static void Refuses(TestContext t)
        {
            Span<byte> b = stackalloc byte[SampleSize];
            BundleError e;

            Sample(b, ThisArch);
            b[3] = (byte)'X';
            BundleReader.TryParse(b, out _, out e);
            t.Equal((long)BundleErrorCode.BadMagic, (long)e.Code, "bad magic");
            t.Equal(0, e.Offset, "bad magic at byte 0");

            Sample(b, ThisArch);
            BundleReader.TryParse(b.Slice(0, SampleSize - 1), out _, out e);
            t.Equal((long)BundleErrorCode.Truncated, (long)e.Code, "truncated");
            t.Equal(SampleSize - 1, e.Offset, "truncated at the input's end");

            Sample(b, ThisArch);
            b[128] = 5; // from-version 5 -> to-version 2
            BundleReader.TryParse(b, out _, out e);
            t.Equal((long)BundleErrorCode.UpdateBadVersions, (long)e.Code, "versions");
            t.Equal(128, e.Offset, "at the entry's from-version");
            t.Equal(0, e.Index, "first entry");

            Sample(b, ThisArch);
            b[178] = 3; // EM_386
            BundleReader.TryParse(b, out _, out e);
            t.Equal((long)BundleErrorCode.ObjectWrongMachine, (long)e.Code, "machine");
            t.Equal(178, e.Offset, "at e_machine");
            t.True(e.Reason != null && e.Reason.Length > 10, "a reason in words");
        }

        private static void Policy(TestContext t)
        {
            Span<byte> b = stackalloc byte[SampleSize];
            Sample(b, ThisArch);
            if (!t.True(BundleReader.TryParse(b, out BundleView v, out BundleError e), e.Reason)) return;
            Span<byte> id = stackalloc byte[32];
            for (int i = 0; i < 32; i++) id[i] = (byte)(0xA0 + i);
            var facts = new KernelFacts { Arch = ThisArch, BuildId = id, CurrentLevel = 2, LastSequence = 6 };
            t.Equal((long)BundleErrorCode.None, (long)BundlePolicy.Check(v, facts).Code, "matching facts accept");
            facts.LastSequence = 7;
            t.Equal((long)BundleErrorCode.ReplayedSequence, (long)BundlePolicy.Check(v, facts).Code, "replay");
            facts.LastSequence = 6;
            facts.CurrentLevel = 3;
            t.Equal((long)BundleErrorCode.WrongBaseLevel, (long)BundlePolicy.Check(v, facts).Code, "level");
            facts.CurrentLevel = 2;
            id[31] ^= 1;
            t.Equal((long)BundleErrorCode.WrongBuildId, (long)BundlePolicy.Check(v, facts).Code, "build id");
            id[31] ^= 1;
            facts.Arch = ThisArch == BundleArch.X64 ? BundleArch.Arm64 : BundleArch.X64;
            t.Equal((long)BundleErrorCode.WrongArch, (long)BundlePolicy.Check(v, facts).Code, "arch");
        }
    }
}
