using Molt.Bench;
using Molt.Smp;
using Molt.Update.Tests;
using Molt.Update.Trust;

namespace Molt.Update.Bench
{
    /// <summary>
    /// The cost of checking a signed bundle, on the boot thread:
    /// <c>update.trust.ed25519_verify</c>, one whole verification (hash of
    /// R || A || M plus the curve work) of RFC 8032 TEST 1024, a 1023-byte message;
    /// <c>update.trust.sha512_per_kib</c>, SHA-512 throughput as time per
    /// KiB, hashing a 1 KiB buffer one call at a time, so it includes padding
    /// and the final block (a large bundle costs about this per KiB plus one verification).
    /// </summary>
    internal static unsafe class TrustBenches
    {
        public static void Register()
        {
            BenchRunner.Add("update.trust", &Rows);
        }

        private struct KiB { public fixed byte Data[1024]; }
        private static KiB s_data;
        private static int s_failures;
        private static byte s_sink;

        private static ulong RunVerify(long n)
        {
            int failures = 0;
            ulong start = Hal.Cpu.ReadTimestamp();
            for (long i = 0; i < n; i++)
                if (!Ed25519.Verify(TrustTests.Test1024Key, TrustTests.Test1024Message, TrustTests.Test1024Signature)) failures++;
            ulong t = Hal.Cpu.ReadTimestamp() - start;
            s_failures += failures;
            return t;
        }

        private static ulong RunSha512(long n)
        {
            byte* digest = stackalloc byte[Sha512.HashSize];
            fixed (byte* data = s_data.Data)
            {
                var input = new System.ReadOnlySpan<byte>(data, 1024);
                var output = new System.Span<byte>(digest, Sha512.HashSize);
                ulong start = Hal.Cpu.ReadTimestamp();
                for (long i = 0; i < n; i++)
                {
                    Sha512.Hash(input, output);
                    data[0] = digest[0]; // each hash depends on the last: nothing can be hoisted
                }
                ulong t = Hal.Cpu.ReadTimestamp() - start;
                s_sink = digest[1];
                return t;
            }
        }

        private static void Rows()
        {
            for (int i = 0; i < 1024; i++) s_data.Data[i] = (byte)(i * 31 + 7);
            s_failures = 0;
            int cpus = Processors.Online;
            long n;
            ulong ns = Measure.Median(&RunVerify, out n);
            if (s_failures != 0) Diagnostics.Panic.Fail("bench: RFC 8032 TEST 1024 did not verify");
            BenchRunner.Report("update.trust.ed25519_verify", cpus, "RFC 8032 TEST 1024 (1023-byte message), boot thread", Measure.MilliNsPerOp(ns, n), "ns/op", n);
            ns = Measure.Median(&RunSha512, out n);
            BenchRunner.Report("update.trust.sha512_per_kib", cpus, "1 KiB per call, boot thread", Measure.MilliNsPerOp(ns, n), "ns/KiB", n);
        }
    }
}
