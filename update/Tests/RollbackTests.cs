using System;
using Molt.Testing;
using Molt.Update.Bundles;

namespace Molt.Update.Tests
{
    /// <summary>
    /// The rollback request reader and policy inside the kernel (the host
    /// tests fuzz them; these prove the same code compiles and runs under
    /// the kernel's corelib on each arch). Requests are built by hand in a
    /// stack buffer: nothing is allocated.
    /// </summary>
    internal static unsafe class RollbackTests
    {
        public static void Register()
        {
            TestRunner.Add("update.rollback.parses_a_well_formed_request", &Parses);
            TestRunner.Add("update.rollback.refuses_with_reason_and_offset", &Refuses);
            TestRunner.Add("update.rollback.policy_checks_arch_build_level_top", &Policy);
        }

        private static BundleArch ThisArch =>
#if ARCH_ARM64
            BundleArch.Arm64;
#else
            BundleArch.X64;
#endif

        private static void Put32(Span<byte> b, int at, uint v) { b[at] = (byte)v; b[at + 1] = (byte)(v >> 8); b[at + 2] = (byte)(v >> 16); b[at + 3] = (byte)(v >> 24); }

        /// <summary>From level 3 to 1, top sequence 9, build id A0..BF, key id 1..8, signature bytes 0x55.</summary>
        private static void Sample(Span<byte> b)
        {
            b.Clear();
            ReadOnlySpan<byte> magic = "MOLTRLBK"u8;
            for (int i = 0; i < 8; i++) b[i] = magic[i];
            b[RollbackFormat.OffVersion] = 1;
            b[RollbackFormat.OffTotalSize] = RollbackFormat.Size;
            b[RollbackFormat.OffArch] = (byte)ThisArch;
            Put32(b, RollbackFormat.OffFromLevel, 3);
            Put32(b, RollbackFormat.OffToLevel, 1);
            Put32(b, RollbackFormat.OffTopSequence, 9);
            for (int i = 0; i < 32; i++) b[RollbackFormat.OffBuildId + i] = (byte)(0xA0 + i);
            for (int i = 0; i < 8; i++) b[RollbackFormat.OffKeyId + i] = (byte)(i + 1);
            for (int i = 0; i < 64; i++) b[RollbackFormat.OffSignature + i] = 0x55;
        }

        private static void Parses(TestContext t)
        {
            Span<byte> b = stackalloc byte[RollbackFormat.Size];
            Sample(b);
            bool ok = RollbackReader.TryParse(b, out RollbackView v, out BundleError e);
            if (!t.True(ok, e.Reason)) return;
            t.Equal((long)ThisArch, (long)v.Arch, "arch");
            t.Equal(3, v.FromLevel, "from level");
            t.Equal(1, v.ToLevel, "to level");
            t.Equal(9UL, v.TopSequence, "top sequence");
            t.Equal(0xBF, v.BuildId[31], "build id");
            t.Equal(5, v.KeyId[4], "key id");
            t.Equal(72, v.SignedBytes.Length, "the signature covers bytes 0..71");
            t.Equal(0x55, v.Signature[63], "signature");
        }

        private static void Refuses(TestContext t)
        {
            Span<byte> b = stackalloc byte[RollbackFormat.Size + 1];
            BundleError e;

            Sample(b);
            b[3] = (byte)'P';
            RollbackReader.TryParse(b.Slice(0, RollbackFormat.Size), out _, out e);
            t.Equal((long)BundleErrorCode.RollbackBadMagic, (long)e.Code, "bad magic");
            t.Equal(0, e.Offset, "bad magic at byte 0");

            Sample(b);
            RollbackReader.TryParse(b.Slice(0, RollbackFormat.Size - 1), out _, out e);
            t.Equal((long)BundleErrorCode.Truncated, (long)e.Code, "truncated");
            t.Equal(RollbackFormat.Size - 1, e.Offset, "truncated at the input's end");

            Sample(b);
            RollbackReader.TryParse(b, out _, out e);
            t.Equal((long)BundleErrorCode.RollbackTooLong, (long)e.Code, "one byte too long");
            t.Equal(RollbackFormat.Size, e.Offset, "at the first extra byte");

            Sample(b);
            b[14] = 1;
            RollbackReader.TryParse(b.Slice(0, RollbackFormat.Size), out _, out e);
            t.Equal((long)BundleErrorCode.ReservedNotZero, (long)e.Code, "reserved");
            t.Equal(14, e.Offset, "at the reserved byte");

            Sample(b);
            Put32(b, RollbackFormat.OffToLevel, 3);
            RollbackReader.TryParse(b.Slice(0, RollbackFormat.Size), out _, out e);
            t.Equal((long)BundleErrorCode.RollbackBadLevels, (long)e.Code, "to = from");
            t.Equal(RollbackFormat.OffToLevel, e.Offset, "at the to level");
            t.True(e.Reason != null && e.Reason.Length > 10, "a reason in words");
        }

        private static void Policy(TestContext t)
        {
            Span<byte> b = stackalloc byte[RollbackFormat.Size];
            Sample(b);
            if (!t.True(RollbackReader.TryParse(b, out RollbackView v, out BundleError e), e.Reason)) return;
            Span<byte> id = stackalloc byte[32];
            for (int i = 0; i < 32; i++) id[i] = (byte)(0xA0 + i);
            var facts = new RollbackFacts { Arch = ThisArch, BuildId = id, CurrentLevel = 3, TopSequence = 9 };
            t.Equal((long)BundleErrorCode.None, (long)RollbackPolicy.Check(v, facts).Code, "matching facts accept");
            facts.TopSequence = 10;
            t.Equal((long)BundleErrorCode.RollbackStaleSequence, (long)RollbackPolicy.Check(v, facts).Code, "another top patch");
            facts.TopSequence = 9;
            facts.CurrentLevel = 2;
            t.Equal((long)BundleErrorCode.RollbackStaleLevel, (long)RollbackPolicy.Check(v, facts).Code, "another level");
            facts.CurrentLevel = 3;
            id[0] ^= 1;
            t.Equal((long)BundleErrorCode.RollbackWrongBuildId, (long)RollbackPolicy.Check(v, facts).Code, "build id");
            id[0] ^= 1;
            facts.Arch = ThisArch == BundleArch.X64 ? BundleArch.Arm64 : BundleArch.X64;
            t.Equal((long)BundleErrorCode.RollbackWrongArch, (long)RollbackPolicy.Check(v, facts).Code, "arch");
        }
    }
}
