using System.Diagnostics;
using Molt.Cli.Bundles;
using Molt.Update.Bundles;
using Xunit;
using Xunit.Abstractions;
using static Molt.Tests.Bundles.BundleSamples;

namespace Molt.Tests.Bundles;

/// <summary>
/// Mutates well-formed bundles 100,000 times (fixed seed) and parses each:
/// the reader must return (no exception, no hang), and either accept with a
/// view whose every span is inside the input, or refuse with a reason and
/// an offset inside the input (or at the header's size field).
/// </summary>
public class BundleFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 100_000;

    [Fact]
    public void MutatedBundles_AreAcceptedOrRefusedWithAReason()
    {
        byte[][] seeds =
        [
            Valid(),
            Write(new BundleContents
            {
                Arch = BundleArch.Arm64, BaseLevel = 0, Sequence = 1, BuildId = BuildId(9), Name = "n", Description = "",
                Updates = [new UpdateSpec(UpdateKind.NewType, "T", 0, 1)], EntrySymbol = "e", Object = FakeElf(183, 64),
            }),
        ];
        var rng = new Random(0x4D4F4C54);
        var byCode = new Dictionary<BundleErrorCode, int>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Iterations; i++)
        {
            byte[] b = Mutate(seeds[i % seeds.Length], rng);
            bool ok = BundleReader.TryParse(b, out BundleView v, out BundleError e);
            byCode[e.Code] = byCode.GetValueOrDefault(e.Code) + 1;
            if (ok)
            {
                Assert.Equal(BundleErrorCode.None, e.Code);
                Assert.InRange(v.Name.Length, 1, BundleFormat.MaxNameBytes);
                Assert.InRange(v.Object.Length, BundleFormat.MinObjectBytes, b.Length);
                Assert.Equal(b.Length - BundleFormat.SignatureSize, v.SignedBytes.Length);
                Assert.InRange(v.UpdateCount, 1, BundleFormat.MaxUpdates);
                for (int u = 0; u < v.UpdateCount; u++)
                    Assert.InRange(v.GetUpdate(u).Target.Length, 1, BundleFormat.MaxTargetBytes);
                var facts = new KernelFacts { Arch = BundleArch.X64, BuildId = BuildId(), CurrentLevel = 3, LastSequence = 41 };
                Assert.NotNull(BundlePolicy.Check(v, facts).Reason);
            }
            else
            {
                Assert.NotEqual(BundleErrorCode.None, e.Code);
                Assert.False(string.IsNullOrEmpty(e.Reason));
                Assert.DoesNotContain("unknown error", e.Reason);
                if (e.Code != BundleErrorCode.Oversized) Assert.InRange(e.Offset, 0, b.Length);
            }
        }
        clock.Stop();
        output.WriteLine($"{Iterations} bundles in {clock.ElapsedMilliseconds} ms: " +
            string.Join(", ", byCode.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.True(byCode.GetValueOrDefault(BundleErrorCode.None) > 0, "no mutated bundle was accepted: the mutations are too coarse");
        Assert.True(byCode.Count > 15, $"only {byCode.Count} outcomes seen");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    private static byte[] Mutate(byte[] seed, Random rng)
    {
        byte[] b = (byte[])seed.Clone();
        int rounds = 1 + rng.Next(3);
        for (int r = 0; r < rounds && b.Length > 0; r++)
        {
            switch (rng.Next(8))
            {
                case 0: // flip bits anywhere
                    b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1: // a random byte in the header or the part directory
                    b[rng.Next(Math.Min(b.Length, BundleFormat.HeaderSize))] = (byte)rng.Next(256);
                    break;
                case 2: // a boundary value in a u32 of the header
                {
                    int at = 4 * rng.Next(BundleFormat.HeaderSize / 4);
                    uint[] values = [0, 1, 7, 8, 15, 16, 63, 64, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, (uint)b.Length, (uint)b.Length - 72];
                    if (at + 4 <= b.Length) BundleWriter.PutU32(b, at, values[rng.Next(values.Length)]);
                    break;
                }
                case 3: // truncate
                    b = b[..rng.Next(b.Length)];
                    break;
                case 4: // grow, with the total size kept or fixed up
                {
                    byte[] extra = new byte[1 + rng.Next(40)];
                    b = [.. b, .. extra];
                    if (rng.Next(2) == 0 && b.Length >= 20) BundleWriter.PutU32(b, BundleFormat.OffTotalSize, (uint)b.Length);
                    break;
                }
                case 5: // a random byte in the parts (mostly still well formed)
                    if (b.Length > BundleFormat.HeaderSize) b[BundleFormat.HeaderSize + rng.Next(b.Length - BundleFormat.HeaderSize)] = (byte)rng.Next(256);
                    break;
                case 6: // a field of an update entry
                {
                    if (b.Length < BundleFormat.HeaderSize) break;
                    int upd = (int)Math.Min((uint)b.Length - 16, BitConverter.ToUInt32(b, BundleFormat.OffParts + 16));
                    if (upd < 0) break;
                    int at = upd + 4 * rng.Next(4);
                    if (at + 4 <= b.Length) BundleWriter.PutU32(b, at, (uint)rng.Next(-2, 300));
                    break;
                }
                default: // a byte in the signature or key id: still well formed
                    if (b.Length > 72) b[b.Length - 1 - rng.Next(72)] = (byte)rng.Next(256);
                    break;
            }
        }
        return b;
    }
}
