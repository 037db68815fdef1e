using Molt.Boot;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>The command-line option declarations (kernel/Boot/Options.cs): each word's verdict and the known-option list.</summary>
    internal static unsafe class OptionsTests
    {
        public static void Register()
        {
            TestRunner.Add("options.valid_words_pass", &ValidWords);
            TestRunner.Add("options.unknown_word", &Unknown);
            TestRunner.Add("options.count_not_a_number_or_out_of_range", &Counts);
            TestRunner.Add("options.choice_not_listed", &Choices);
            TestRunner.Add("options.missing_and_unexpected_values", &Values);
            TestRunner.Add("options.known_list_from_the_declarations", &KnownList);
            TestRunner.Add("options.names_are_unique", &Unique);
        }

        private const int Max = 128;

        /// <summary>The verdict on a single word such as "smp=abc" or "exit".</summary>
        private static OptionProblem Verdict(string word, out int option)
        {
            byte* buf = stackalloc byte[Max];
            for (int i = 0; i < word.Length; i++) buf[i] = (byte)word[i];
            var cmd = new CommandLine(buf, word.Length);
            int pos = 0;
            byte* k; int kl; byte* v; int vl;
            option = -1;
            if (!cmd.Next(ref pos, out k, out kl, out v, out vl)) return OptionProblem.Unknown;
            return Options.Validate(k, kl, v, vl, out option);
        }

        private static OptionProblem Verdict(string word) => Verdict(word, out _);

        private static void ValidWords(TestContext t)
        {
            int i;
            t.Equal((long)OptionProblem.None, (long)Verdict("test", out i), "test");
            t.True(i >= 0 && Options.All[i].Name == "test", "test is found");
            t.Equal((long)OptionProblem.None, (long)Verdict("test.filter=heap."), "test.filter=heap.");
            t.Equal((long)OptionProblem.None, (long)Verdict("smp=1"), "smp=1");
            t.Equal((long)OptionProblem.None, (long)Verdict("smp=0x10"), "smp=0x10");
            t.Equal((long)OptionProblem.None, (long)Verdict("ltt=block"), "ltt=block");
            t.Equal((long)OptionProblem.None, (long)Verdict("ltt=window"), "ltt=window");
            t.Equal((long)OptionProblem.None, (long)Verdict("fault=oom"), "fault=oom");
            t.Equal((long)OptionProblem.None, (long)Verdict("fault=null"), "fault=null");
        }

        private static void Unknown(TestContext t)
        {
            int i;
            t.Equal((long)OptionProblem.Unknown, (long)Verdict("tset", out i), "tset");
            t.Equal(-1, i, "no declaration");
            t.Equal((long)OptionProblem.Unknown, (long)Verdict("tes"), "a prefix is not a name");
            t.Equal((long)OptionProblem.Unknown, (long)Verdict("smpp=2"), "smpp=2");
        }

        private static void Counts(TestContext t)
        {
            t.Equal((long)OptionProblem.NotANumber, (long)Verdict("smp=abc"), "smp=abc");
            t.Equal((long)OptionProblem.NotANumber, (long)Verdict("smp=2x"), "smp=2x");
            t.Equal((long)OptionProblem.NotANumber, (long)Verdict("smp="), "smp= (empty)");
            t.Equal((long)OptionProblem.OutOfRange, (long)Verdict("smp=0"), "smp=0");
            t.Equal((long)OptionProblem.OutOfRange, (long)Verdict("smp=65"), "smp=65, past MaxCpus");
            t.Equal((long)OptionProblem.None, (long)Verdict("smp=64"), "smp=64, MaxCpus");
            t.Equal((long)OptionProblem.OutOfRange, (long)Verdict("test.timeout=0"), "test.timeout=0");
        }

        private static void Choices(TestContext t)
        {
            t.Equal((long)OptionProblem.NotAChoice, (long)Verdict("ltt=bogus"), "ltt=bogus");
            t.Equal((long)OptionProblem.NotAChoice, (long)Verdict("ltt=bloc"), "a prefix of a choice");
            t.Equal((long)OptionProblem.NotAChoice, (long)Verdict("ltt=blocks"), "a choice and more");
            t.Equal((long)OptionProblem.NotAChoice, (long)Verdict("ltt="), "empty");
            t.Equal((long)OptionProblem.NotAChoice, (long)Verdict("fault=bogus"), "fault=bogus");
        }

        private static void Values(TestContext t)
        {
            t.Equal((long)OptionProblem.MissingValue, (long)Verdict("smp"), "smp without =N");
            t.Equal((long)OptionProblem.MissingValue, (long)Verdict("ltt"), "ltt without =");
            t.Equal((long)OptionProblem.UnexpectedValue, (long)Verdict("exit=1"), "exit=1");
        }

        private static void KnownList(TestContext t)
        {
            byte* buf = stackalloc byte[512];
            int n = Options.KnownList(buf, 512);
            string expectStart = "test, test.filter=, test.timeout=, test.hang, fault=";
            bool same = n > expectStart.Length;
            for (int i = 0; i < expectStart.Length && same; i++) same = buf[i] == expectStart[i];
            t.True(same, "starts with the first declarations, '=' on those with values");
            int words = 1;
            for (int i = 0; i < n; i++) if (buf[i] == ',') words++;
            t.Equal(Options.All.Length, words, "one entry per declaration");
        }

        private static void Unique(TestContext t)
        {
            for (int i = 0; i < Options.All.Length; i++)
            {
                t.True(Options.All[i].Help != null && Options.All[i].Help.Length > 0, "every option has help");
                for (int j = i + 1; j < Options.All.Length; j++)
                    t.True(!string.Equals(Options.All[i].Name, Options.All[j].Name), "no name declared twice");
            }
        }
    }
}
