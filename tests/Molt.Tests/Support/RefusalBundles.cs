using System.Buffers.Binary;
using System.Text;
using Molt.Load;
using Xunit;

namespace Molt.Tests.Support;

/// <summary>One bundle the kernel must refuse, and the words its refusal must contain ("refused at STEP: REASON ...", as the kernel logs it).</summary>
public sealed record RefusalCase(string Name, byte[] Bytes, string Expect);

/// <summary>
/// Bad bundles made from a good one, each signed properly so that it fails
/// at the step it is meant to (parse, signature, policy, link). Used by
/// PatchSystemTests (as boot modules) and UpdateUnderLoadSystemTests (pushed
/// over the network). The good bundle must be one the kernel would accept
/// at the moment the cases are sent (right base level, a fresh sequence),
/// so that each case fails only at its own step.
/// </summary>
public static class RefusalBundles
{
    public static List<RefusalCase> Cases(byte[] good)
    {
        byte[] seed = BundleSigning.TreeSeed(Repo.Root);
        return
        [
            new("bad-signature", Flip(good, good.Length - 1), "refused at signature: Ed25519 signature does not verify"),
            new("unknown-key", BundleSigning.Resign(good, b => { }, OtherSeed()), "refused at signature"),
            new("wrong-build-id", BundleSigning.Resign(good, b => b[32] ^= 0xFF, seed), "refused at policy: bundle targets another kernel build (byte 32)"),
            new("wrong-base-level", BundleSigning.Resign(good, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), 7), seed), "refused at policy: bundle stacks on another patch level (byte 20)"),
            new("wrong-arch", BundleSigning.Resign(good, b => b[12] = (byte)(b[12] == 1 ? 2 : 1), seed), "refused at"),
            new("truncated", good[..(good.Length / 2)], "refused at parse"),
            new("garbage", Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray(), "refused at parse"),
            new("oversized", BundleSigning.Resign(good, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), 64u << 20), seed), "refused at parse"),
            new("undefined-symbol", BundleSigning.Resign(good, b => Rename(b, "RhpNewFast", "RhpNewFasX"), seed), "RhpNewFasX"),
            new("unsupported-relocation", BundleSigning.Resign(good, b => BreakRelocation(b), seed), "refused at link"),
            new("malformed-elf", BundleSigning.Resign(good, b => BreakSectionTable(b), seed), "refused at"),
        ];
    }

    private static byte[] Flip(byte[] b, int at) { var c = (byte[])b.Clone(); c[at] ^= 1; return c; }

    private static byte[] OtherSeed() => Enumerable.Range(1, 32).Select(i => (byte)(i * 13)).ToArray();

    /// <summary>The object part's bounds, from the bundle header's part table (docs/patching.md).</summary>
    private static (int Start, int Length) ObjectPart(byte[] b)
    {
        for (int part = 0; part < 6; part++)
        {
            int off = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(64 + part * 8));
            int len = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(68 + part * 8));
            if (len >= 64 && b[off] == 0x7F && b[off + 1] == (byte)'E' && b[off + 2] == (byte)'L' && b[off + 3] == (byte)'F') return (off, len);
        }
        throw new InvalidDataException("no ELF object part in the bundle");
    }

    /// <summary>Renames a symbol in the object's string table (same length), so the name resolves nowhere.</summary>
    private static void Rename(byte[] b, string from, string to)
    {
        var (start, len) = ObjectPart(b);
        byte[] needle = Encoding.ASCII.GetBytes("\0" + from + "\0");
        int at = b.AsSpan(start, len).IndexOf(needle);
        Assert.True(at >= 0, $"{from} is not in the object's string table");
        Encoding.ASCII.GetBytes(to).CopyTo(b, start + at + 1);
    }

    /// <summary>Gives every RELA entry of the object a relocation type ilc never emits (0x7f), so the first one applied is refused.</summary>
    private static void BreakRelocation(byte[] b)
    {
        var (start, len) = ObjectPart(b);
        var o = b.AsSpan(start, len);
        long shoff = BinaryPrimitives.ReadInt64LittleEndian(o[0x28..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(o[0x3C..]);
        int broken = 0;
        for (int i = 0; i < shnum; i++)
        {
            var sh = o[(int)(shoff + i * 64)..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != 4 /* SHT_RELA */) continue;
            int rela = (int)BinaryPrimitives.ReadInt64LittleEndian(sh[0x18..]);
            long size = BinaryPrimitives.ReadInt64LittleEndian(sh[0x20..]);
            for (long e = 0; e + 24 <= size; e += 24, broken++)
            {
                var info = o[(int)(rela + e + 8)..];
                BinaryPrimitives.WriteUInt64LittleEndian(info, (BinaryPrimitives.ReadUInt64LittleEndian(info) & 0xFFFFFFFF00000000UL) | 0x7F);
            }
        }
        Assert.True(broken > 0, "no relocation in the object");
    }

    /// <summary>Points the object's section header table past its end.</summary>
    private static void BreakSectionTable(byte[] b)
    {
        var (start, len) = ObjectPart(b);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(start + 0x28), len + 4096);
    }
}
