using System.Buffers.Binary;
using Molt.Image;
using Molt.QemuRunner;
using Molt.Tests.Support;
using Xunit;

namespace Molt.Tests.SymbolTable;

/// <summary>
/// Feeds ElfSymbols.Read thousands of damaged ELF files. The build runs it on
/// whatever the linker wrote, so on bad input it must fail with an
/// <see cref="InvalidDataException"/> that names the file, never an
/// IndexOutOfRange, Overflow or ArgumentOutOfRange from deep inside. Seeds
/// are fixed so a failure reproduces; the message gives seed and iteration.
/// </summary>
public class ElfSymbolsFuzzTests
{
    private const string FileName = "fuzzed.elf";

    // Values that hit boundaries: zero, one, sign bits, all-ones, and sizes near the file's length.
    private static ulong Interesting(Random rng, int fileLength) => rng.Next(12) switch
    {
        0 => 0,
        1 => 1,
        2 => 0x7FFFFFFF,
        3 => 0x80000000,
        4 => 0xFFFFFFFF,
        5 => ulong.MaxValue,
        6 => 0x8000000000000000,
        7 => (ulong)fileLength,
        8 => (ulong)(fileLength - rng.Next(1, 65)),
        9 => (ulong)rng.Next(0, fileLength),
        10 => (ulong)rng.NextInt64(),
        _ => ulong.MaxValue - (ulong)rng.Next(0, 64),
    };

    private static string Mutate(byte[] elf, Random rng, out byte[] result)
    {
        int len = elf.Length;
        long shoff = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(0x28)), int.MaxValue);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3C));
        switch (rng.Next(5))
        {
            case 0:
                int cut = rng.Next(0, len);
                result = elf[..cut];
                return $"truncated to {cut}";
            case 1:
            {
                result = (byte[])elf.Clone();
                int n = rng.Next(1, 9);
                for (int i = 0; i < n; i++) result[rng.Next(len)] = (byte)rng.Next(256);
                return $"{n} random bytes";
            }
            case 2:
            {
                // A field of the ELF header that the reader uses.
                result = (byte[])elf.Clone();
                var (off, width) = new[] { (0x28, 8), (0x3A, 2), (0x3C, 2), (0x3E, 2), (4, 1), (5, 1) }[rng.Next(6)];
                Write(result, off, width, Interesting(rng, len));
                return $"header field 0x{off:x}";
            }
            case 3:
            {
                // A field of one section header: type, offset, size, link, entsize.
                result = (byte[])elf.Clone();
                long sh = shoff + 64L * rng.Next(Math.Max(shnum, 1));
                var (off, width) = new[] { (4, 4), (0x18, 8), (0x20, 8), (0x28, 4), (0x38, 8) }[rng.Next(5)];
                if (sh + off + width <= len) Write(result, (int)sh + off, width, Interesting(rng, len));
                return $"section header field at 0x{sh + off:x}";
            }
            default:
            {
                // Several of the above at once, then maybe a truncation.
                result = elf;
                string what = "";
                for (int i = rng.Next(2, 5); i > 0; i--)
                {
                    what += Mutate(result.Length >= 64 ? result : elf, rng, out var next) + "; ";
                    result = next.Length >= 64 ? next : result;
                }
                return what;
            }
        }
    }

    private static void Write(byte[] b, int offset, int width, ulong value)
    {
        for (int i = 0; i < width; i++) b[offset + i] = (byte)(value >> (8 * i));
    }

    private static void Fuzz(byte[] valid, int seed, int iterations)
    {
        var rng = new Random(seed);
        int rejected = 0;
        for (int i = 0; i < iterations; i++)
        {
            string what = Mutate(valid, rng, out var mutated);
            try
            {
                ElfSymbols.Read(mutated, FileName);
            }
            catch (InvalidDataException e)
            {
                Assert.Contains(FileName, e.Message);
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed} iteration {i} ({what}): {e.GetType().Name} instead of InvalidDataException: {e.Message}\n{e.StackTrace}");
            }
        }
        // The mutations must reach the error paths, or the test proves nothing.
        Assert.True(rejected > iterations / 10, $"only {rejected} of {iterations} mutated files were rejected");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Damaged_tiny_elf_only_ever_throws_InvalidDataException(int seed)
    {
        var symbols = Enumerable.Range(0, 16).Select(i =>
            new ElfSymbol($"sym{i}", 0xffffffff80200000 + (ulong)i * 0x40, 0x40, ElfSymbols.SttFunc));
        Fuzz(TinyElf.Build(symbols), seed, 4000);
    }

    [BuiltKernelFact]
    public void Damaged_kernel_elf_only_ever_throws_InvalidDataException()
    {
        Fuzz(File.ReadAllBytes(Repo.KernelElf(QemuArch.X64)), seed: 42, iterations: 1500);
    }
}
