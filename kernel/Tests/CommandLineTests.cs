using Molt.Boot;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>Command-line parsing over byte buffers built on the stack.</summary>
    internal static unsafe class CommandLineTests
    {
        public static void Register()
        {
            TestRunner.Add("cmdline.flags", &Flags);
            TestRunner.Add("cmdline.key_value", &KeyValue);
            TestRunner.Add("cmdline.quoted_value_with_spaces", &Quoted);
            TestRunner.Add("cmdline.numbers_decimal_and_hex", &Numbers);
            TestRunner.Add("cmdline.missing_keys", &Missing);
            TestRunner.Add("cmdline.last_value_wins", &LastWins);
            TestRunner.Add("cmdline.empty_and_blank_lines", &Empty);
            TestRunner.Add("cmdline.next_walks_every_word", &Walk);
        }

        private const int Max = 128;

        /// <summary>Copies an ASCII string into <paramref name="buffer"/> and returns a CommandLine over it.</summary>
        private static CommandLine Make(string text, byte* buffer)
        {
            for (int i = 0; i < text.Length; i++) buffer[i] = (byte)text[i];
            return new CommandLine(buffer, text.Length);
        }

        private static bool Is(byte* value, int length, string expected)
        {
            if (value == null || length != expected.Length) return false;
            for (int i = 0; i < length; i++) if (value[i] != expected[i]) return false;
            return true;
        }

        private static void Flags(TestContext t)
        {
            byte* buf = stackalloc byte[Max];
            var cmd = Make("test  verbose\tquiet", buf);
            t.True(cmd.Has("test") && cmd.Has("verbose") && cmd.Has("quiet"), "every flag found, across spaces and tabs");
            t.True(!cmd.Has("tes") && !cmd.Has("verbosee") && !cmd.Has("t"), "no prefix or longer matches");
            byte* v; int n;
            t.True(!cmd.TryGet("test", out v, out n), "a bare flag has no value");
            t.Equal(3, cmd.Count(), "three words");
        }

        private static void KeyValue(TestContext t)
        {
            byte* buf = stackalloc byte[Max];
            var cmd = Make("console=ttyS0 test.filter=heap root=", buf);
            byte* v; int n;
            t.True(cmd.TryGet("console", out v, out n) && Is(v, n, "ttyS0"), "console=ttyS0");
            t.True(cmd.TryGet("test.filter", out v, out n) && Is(v, n, "heap"), "dotted key");
            t.True(cmd.TryGet("root", out v, out n) && n == 0, "an empty value is present with length 0");
            t.True(cmd.Has("console") && cmd.Has("root"), "keys count for Has");
            t.True(!cmd.Has("ttyS0"), "values are not keys");
        }

        private static void Quoted(TestContext t)
        {
            byte* buf = stackalloc byte[Max];
            var cmd = Make("name=\"hello big world\" after=1 tail=\"unterminated value", buf);
            byte* v; int n;
            t.True(cmd.TryGet("name", out v, out n) && Is(v, n, "hello big world"), "quoted value keeps its spaces");
            t.True(cmd.TryGet("after", out v, out n) && Is(v, n, "1"), "parsing resumes after the closing quote");
            t.True(cmd.TryGet("tail", out v, out n) && Is(v, n, "unterminated value"), "an unterminated quote runs to the end");
            t.True(!cmd.Has("big") && !cmd.Has("world"), "quoted words are not words");
            t.Equal(3, cmd.Count(), "three words");
        }

        private static void Numbers(TestContext t)
        {
            byte* buf = stackalloc byte[Max];
            var cmd = Make("mem=1234 base=0x1f BASE=0XAbC0 big=18446744073709551615 bad=12z hexbad=0xg empty= zero=0 x=0x", buf);
            ulong n;
            t.True(cmd.TryGetNumber("mem", out n) && n == 1234, "decimal");
            t.True(cmd.TryGetNumber("base", out n) && n == 0x1f, "lower-case hex");
            t.True(cmd.TryGetNumber("BASE", out n) && n == 0xABC0, "upper-case prefix, mixed-case digits");
            t.True(cmd.TryGetNumber("big", out n) && n == ulong.MaxValue, "ulong.MaxValue");
            t.True(cmd.TryGetNumber("zero", out n) && n == 0, "zero");
            t.True(!cmd.TryGetNumber("bad", out n), "trailing garbage rejected");
            t.True(!cmd.TryGetNumber("hexbad", out n), "bad hex digit rejected");
            t.True(!cmd.TryGetNumber("empty", out n), "empty value rejected");
            t.True(!cmd.TryGetNumber("x", out n), "a bare 0x is not a number");
            t.True(!cmd.TryGetNumber("nothere", out n), "missing key");
        }

        private static void Missing(TestContext t)
        {
            byte* buf = stackalloc byte[Max];
            var cmd = Make("alpha=1 beta", buf);
            byte* v; int n;
            t.True(!cmd.TryGet("gamma", out v, out n), "absent key");
            t.True(v == null && n == 0, "outputs cleared");
            t.True(!cmd.Has("gamma") && !cmd.Has(""), "absent flag, empty name");
            t.True(!cmd.TryGet("alph", out v, out n), "a prefix of a key is not the key");
        }

        private static void LastWins(TestContext t)
        {
            byte* buf = stackalloc byte[Max];
            var cmd = Make("level=1 other=x level=22 level", buf);
            byte* v; int n;
            t.True(cmd.TryGet("level", out v, out n) && Is(v, n, "22"), "the last key=value wins, a later bare flag does not erase it");
            ulong num;
            t.True(cmd.TryGetNumber("level", out num) && num == 22, "as a number too");
        }

        private static void Empty(TestContext t)
        {
            var none = new CommandLine(null, 0);
            t.Equal(0, none.Count(), "empty line has no words");
            t.True(!none.Has("test"), "and no flags");
            byte* buf = stackalloc byte[Max];
            var blank = Make("  \t \r\n ", buf);
            t.Equal(0, blank.Count(), "only blanks: no words");
            byte* v; int n;
            t.True(!blank.TryGet("x", out v, out n), "no values");
            t.Equal(7, blank.Length, "length is the raw length");
        }

        private static void Walk(TestContext t)
        {
            byte* buf = stackalloc byte[Max];
            var cmd = Make(" a b=c  d=\"e f\" ", buf);
            int pos = 0, words = 0;
            byte* k; int kl; byte* v; int vl;
            t.True(cmd.Next(ref pos, out k, out kl, out v, out vl) && Is(k, kl, "a") && v == null, "first word is a flag");
            words++;
            t.True(cmd.Next(ref pos, out k, out kl, out v, out vl) && Is(k, kl, "b") && Is(v, vl, "c"), "second is b=c");
            words++;
            t.True(cmd.Next(ref pos, out k, out kl, out v, out vl) && Is(k, kl, "d") && Is(v, vl, "e f"), "third is quoted");
            words++;
            t.True(!cmd.Next(ref pos, out k, out kl, out v, out vl), "then the end");
            t.Equal(3, words, "three words walked");
            t.True(!cmd.Next(ref pos, out k, out kl, out v, out vl), "and it stays at the end");
        }
    }
}
