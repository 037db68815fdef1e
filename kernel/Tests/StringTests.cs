using System;
using Molt.Console;
using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>Strings (literals and heap strings) and TextFormat's number formatting.</summary>
    internal static unsafe class StringTests
    {
        public static void Register()
        {
            TestRunner.Add("strings.literal_length_and_indexer", &LiteralBasics);
            TestRunner.Add("strings.identical_literals_are_one_object", &LiteralsShared);
            TestRunner.Add("strings.equality_operators", &Equality);
            TestRunner.Add("strings.create_from_span_and_free", &CreateAndFree);
            TestRunner.Add("strings.from_ascii", &FromAscii);
            TestRunner.Add("strings.starts_with", &StartsWith);
            TestRunner.Add("strings.hash_code_stable", &HashCode);
            TestRunner.Add("strings.as_span", &AsSpan);
            TestRunner.Add("format.decimal", &FormatDecimal);
            TestRunner.Add("format.unsigned", &FormatUnsigned);
            TestRunner.Add("format.hex_padding_and_case", &FormatHex);
            TestRunner.Add("format.parse_format", &ParseFormat);
        }

        private static void LiteralBasics(TestContext t)
        {
            string s = Opaque.Ref("Molt kernel");
            t.Equal(11, s.Length, "Length");
            t.Equal('M', s[0], "first char");
            t.Equal('l', s[10], "last char");
            t.Equal(' ', s[4], "space");
            t.Equal(0, Opaque.Ref("").Length, "empty literal");
            t.True((object)string.Empty != null && string.Empty.Length == 0, "string.Empty");
            string u = "\u00e9\u4e2d";
            t.Equal(2, u.Length, "non-ASCII literal is UTF-16");
            t.Equal(0x4e2d, u[1], "UTF-16 code unit");
        }

        private static void LiteralsShared(TestContext t)
        {
            t.True((object)Opaque.Ref("shared literal") == (object)Opaque.Ref("shared literal"), "one frozen object per literal text");
        }

        private static void Equality(TestContext t)
        {
            string a = Opaque.Ref("alpha");
            Span<char> buf = stackalloc char[5];
            buf[0] = 'a'; buf[1] = 'l'; buf[2] = 'p'; buf[3] = 'h'; buf[4] = 'a';
            string b = string.Create(buf);
            t.True((object)a != (object)b, "distinct objects");
            t.True(a == b, "== compares contents");
            t.True(!(a != b), "!= agrees");
            t.True(a.Equals(b) && a.Equals((object)b), "Equals(string) and Equals(object)");
            t.True(string.Equals(a, b), "static Equals");
            t.True(a != "alphA" && a != "alph" && a != "alphas", "case and length matter");
            t.True(!a.Equals((object)Opaque.Obj(5)), "a string is not Equal to a non-string");
            string n = null;
            t.True(n == null && a != n && !string.Equals(a, n) && !string.Equals(n, a), "null comparisons");
            t.Equal("alpha", b, "TestContext.Equal on strings");
            Heap.Free(b);
        }

        private static void CreateAndFree(TestContext t)
        {
            Span<char> buf = stackalloc char[300];
            for (int i = 0; i < buf.Length; i++) buf[i] = (char)('a' + i % 26);
            Heap.ClassStats before = Heap.GetStats(5); // 512-byte blocks: 300 chars is 600+ bytes, so class 6
            Heap.ClassStats before6 = Heap.GetStats(6);
            string s = string.Create(buf);
            t.Equal(300, s.Length, "length of the created string");
            t.Equal('z', s[25], "content");
            t.Equal('n', s[299], "last char");
            t.Equal(before6.LiveBlocks + 1, Heap.GetStats(6).LiveBlocks, "a 300-char string takes a 1024-byte block");
            t.True(Heap.Free(s) == Heap.FreeResult.Freed, "a heap string frees");
            t.Equal(before6.LiveBlocks, Heap.GetStats(6).LiveBlocks, "and its block is returned");
            t.Equal(before.LiveBlocks, Heap.GetStats(5).LiveBlocks, "other classes untouched");
            string empty = string.Create(default(ReadOnlySpan<char>));
            t.Equal(0, empty.Length, "empty created string");
            t.True(empty == "", "equals the empty literal");
            Heap.Free(empty);
        }

        private static void FromAscii(TestContext t)
        {
            byte* text = stackalloc byte[8];
            text[0] = (byte)'b'; text[1] = (byte)'o'; text[2] = (byte)'o'; text[3] = (byte)'t'; text[4] = 0; text[5] = (byte)'x';
            string s = string.FromAscii(text, 8);
            t.Equal("boot", s, "stops at NUL");
            string cut = string.FromAscii(text, 2);
            t.Equal("bo", cut, "stops at maxLength");
            t.True(Heap.Free(s) == Heap.FreeResult.Freed, "FromAscii strings are heap strings");
            Heap.Free(cut);
        }

        private static void StartsWith(TestContext t)
        {
            string s = Opaque.Ref("test.filter=heap");
            t.True(s.StartsWith("test."), "prefix");
            t.True(s.StartsWith(""), "empty prefix");
            t.True(s.StartsWith(s), "itself");
            t.True(!s.StartsWith("test.filter=heaps"), "longer than the string");
            t.True(!s.StartsWith("tesT"), "case sensitive");
        }

        private static void HashCode(TestContext t)
        {
            string lit = Opaque.Ref("abc");
            Span<char> buf = stackalloc char[3];
            buf[0] = 'a'; buf[1] = 'b'; buf[2] = 'c';
            string heap = string.Create(buf);
            t.Equal(lit.GetHashCode(), heap.GetHashCode(), "same text, same hash, whatever the object");
            t.Equal(lit.GetHashCode(), lit.GetHashCode(), "stable across calls");
            t.Equal(unchecked((int)0x1A47E90B), lit.GetHashCode(), "FNV-1a of \"abc\"");
            t.True("abd".GetHashCode() != lit.GetHashCode(), "different text hashes differently");
            t.Equal(unchecked((int)2166136261), "".GetHashCode(), "empty string hash is the FNV basis");
            Heap.Free(heap);
        }

        private static void AsSpan(TestContext t)
        {
            string s = Opaque.Ref("span me");
            ReadOnlySpan<char> span = s;
            t.Equal(7, span.Length, "span length");
            t.Equal('m', span[5], "span indexer");
            t.True(s.AsSpan().Slice(5).Length == 2 && "me".Equals(s.AsSpan().Slice(5)), "slice of a string span");
            ReadOnlySpan<char> none = (string)Opaque.Obj(null);
            t.True(none.IsEmpty, "null string gives an empty span");
        }

        private static void FormatDecimal(TestContext t)
        {
            Span<char> buf = stackalloc char[24];
            t.True(Chars.Same("0", buf, TextFormat.FormatDecimal(0, buf)), "zero");
            t.True(Chars.Same("42", buf, TextFormat.FormatDecimal(42, buf)), "42");
            t.True(Chars.Same("-7", buf, TextFormat.FormatDecimal(-7, buf)), "-7");
            t.True(Chars.Same("-1000000", buf, TextFormat.FormatDecimal(-1000000, buf)), "-1000000");
            t.True(Chars.Same("9223372036854775807", buf, TextFormat.FormatDecimal(long.MaxValue, buf)), "long.MaxValue");
            int n = TextFormat.FormatDecimal(long.MinValue, buf);
            t.Equal(20, n, "long.MinValue has 20 chars");
            t.True(Chars.Same("-9223372036854775808", buf, n), "long.MinValue");
        }

        private static void FormatUnsigned(TestContext t)
        {
            Span<char> buf = stackalloc char[24];
            t.True(Chars.Same("18446744073709551615", buf, TextFormat.FormatUnsigned(ulong.MaxValue, buf)), "ulong.MaxValue");
            t.True(Chars.Same("10", buf, TextFormat.FormatUnsigned(10, buf)), "10");
            t.True(Chars.Same("4294967296", buf, TextFormat.FormatUnsigned(1UL << 32, buf)), "2^32");
        }

        private static void FormatHex(TestContext t)
        {
            Span<char> buf = stackalloc char[20];
            t.True(Chars.Same("0", buf, TextFormat.FormatHex(0, buf)), "zero");
            t.True(Chars.Same("ff", buf, TextFormat.FormatHex(255, buf)), "lower case by default");
            t.True(Chars.Same("FF", buf, TextFormat.FormatHex(255, buf, 0, true)), "upper case");
            t.True(Chars.Same("000000ff", buf, TextFormat.FormatHex(255, buf, 8)), "zero padded to 8");
            t.True(Chars.Same("12345", buf, TextFormat.FormatHex(0x12345, buf, 2)), "min digits do not truncate");
            t.True(Chars.Same("DEADBEEFCAFEF00D", buf, TextFormat.FormatHex(0xDEADBEEFCAFEF00D, buf, 0, true)), "16 digits upper");
            t.True(Chars.Same("ffffffffffffffff", buf, TextFormat.FormatHex(ulong.MaxValue, buf, 20)), "padding capped at 16 digits");
        }

        private static void ParseFormat(TestContext t)
        {
            char kind; int width;
            t.True(TextFormat.ParseFormat(null, out kind, out width) && kind == 'd' && width == 0, "null means decimal");
            t.True(TextFormat.ParseFormat("x", out kind, out width) && kind == 'x' && width == 0, "x");
            t.True(TextFormat.ParseFormat("X16", out kind, out width) && kind == 'X', "X16 kind");
            t.Equal(16, width, "X16 width");
            t.True(TextFormat.ParseFormat("d5", out kind, out width) && kind == 'd' && width == 5, "d5");
            t.True(!TextFormat.ParseFormat("q", out kind, out width), "unknown kind rejected");
            t.True(!TextFormat.ParseFormat("x1y", out kind, out width), "non-digit width rejected");
        }
    }
}
