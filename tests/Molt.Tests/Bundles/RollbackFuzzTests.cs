using System.Diagnostics;
using Molt.Cli.Bundles;
using Molt.Update.Bundles;
using Xunit;
using Xunit.Abstractions;

namespace Molt.Tests.Bundles;

/// <summary>
/// Mutates well-formed rollback requests 20,000 times (fixed seed) and
/// parses each: the reader returns (no exception), and either accepts a
/// 136-byte request with to &lt; from whose spans lie in it, or refuses with a
/// reason and an offset inside the input (or at its end). Accepted ones go
/// through the policy too.
/// </summary>
public class RollbackFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 20_000;

    [Fact]
    public void MutatedRequests_AreAcceptedOrRefusedWithAReason()
    {
        byte[][] seeds = [RollbackReaderTests.Valid(), RollbackReaderTests.Valid(BundleArch.Arm64, 1, 0, 1), RollbackReaderTests.Valid(BundleArch.X64, 9, 4, ulong.MaxValue)];
        var rng = new Random(0x524C424B);
        var byCode = new Dictionary<BundleErrorCode, int>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Iterations; i++)
        {
            byte[] b = Mutate(seeds[i % seeds.Length], rng);
            bool ok = RollbackReader.TryParse(b, out RollbackView v, out BundleError e);
            byCode[e.Code] = byCode.GetValueOrDefault(e.Code) + 1;
            if (ok)
            {
                Assert.Equal(BundleErrorCode.None, e.Code);
                Assert.Equal(RollbackFormat.Size, b.Length);
                Assert.True(v.ToLevel < v.FromLevel);
                Assert.True(v.Arch is BundleArch.X64 or BundleArch.Arm64);
                Assert.Equal(BundleFormat.BuildIdSize, v.BuildId.Length);
                Assert.Equal(RollbackFormat.SignedSize, v.SignedBytes.Length);
                Assert.Equal(BundleFormat.SignatureSize, v.Signature.Length);
                var facts = new RollbackFacts { Arch = BundleArch.X64, BuildId = BundleSamples.BuildId(), CurrentLevel = 3, TopSequence = 42, TrustedKeyId = RollbackReaderTests.KeyId };
                Assert.DoesNotContain("unknown error", RollbackPolicy.Check(v, facts).Reason);
            }
            else
            {
                Assert.NotEqual(BundleErrorCode.None, e.Code);
                Assert.False(string.IsNullOrEmpty(e.Reason));
                Assert.DoesNotContain("unknown error", e.Reason);
                Assert.InRange(e.Offset, 0, Math.Max(b.Length, RollbackFormat.Size));
            }
        }
        clock.Stop();
        output.WriteLine($"{Iterations} requests in {clock.ElapsedMilliseconds} ms: " +
            string.Join(", ", byCode.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.True(byCode.GetValueOrDefault(BundleErrorCode.None) > Iterations / 20, "too few mutated requests were accepted: the mutations are too coarse");
        Assert.True(byCode.Count >= 9, $"only {byCode.Count} outcomes seen");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    private static byte[] Mutate(byte[] seed, Random rng)
    {
        byte[] b = (byte[])seed.Clone();
        int rounds = 1 + rng.Next(3);
        for (int r = 0; r < rounds && b.Length > 0; r++)
        {
            switch (rng.Next(7))
            {
                case 0: // flip a bit anywhere
                    b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1: // a random byte in the fixed header (0..31)
                    b[rng.Next(Math.Min(b.Length, 32))] = (byte)rng.Next(256);
                    break;
                case 2: // a boundary value in a level
                {
                    int at = rng.Next(2) == 0 ? RollbackFormat.OffFromLevel : RollbackFormat.OffToLevel;
                    uint[] values = [0, 1, 2, 3, 4, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF];
                    if (at + 4 <= b.Length) BundleWriter.PutU32(b, at, values[rng.Next(values.Length)]);
                    break;
                }
                case 3: // truncate
                    b = b[..rng.Next(b.Length)];
                    break;
                case 4: // grow, sometimes with the size field following
                {
                    b = [.. b, .. new byte[1 + rng.Next(40)]];
                    if (rng.Next(2) == 0 && b.Length >= RollbackFormat.OffArch) BundleWriter.PutU16(b, RollbackFormat.OffTotalSize, (ushort)b.Length);
                    break;
                }
                case 5: // the arch or a reserved byte
                    if (b.Length >= RollbackFormat.OffFromLevel) b[RollbackFormat.OffArch + rng.Next(4)] = (byte)rng.Next(4);
                    break;
                default: // the build id, key id or signature: still well formed
                    if (b.Length > RollbackFormat.OffBuildId) b[RollbackFormat.OffBuildId + rng.Next(b.Length - RollbackFormat.OffBuildId)] = (byte)rng.Next(256);
                    break;
            }
        }
        return b;
    }
}
