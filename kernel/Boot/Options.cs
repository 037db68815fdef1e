using Molt.Console;

namespace Molt.Boot
{
    /// <summary>What may follow an option's name, and so how its value is parsed and checked.</summary>
    public enum OptionKind : byte
    {
        /// <summary>A bare word (<c>exit</c>); a value is ignored and reported.</summary>
        Flag,
        /// <summary><c>name=text</c>, any text.</summary>
        Text,
        /// <summary><c>name=N</c>, decimal or 0x hex, between <see cref="Option.Min"/> and <see cref="Option.Max"/>.</summary>
        Count,
        /// <summary><c>name=word</c>, one of <see cref="Option.Choices"/> ("a|b|c").</summary>
        Choice,
    }

    /// <summary>Why a command-line word was not taken as written.</summary>
    public enum OptionProblem : byte
    {
        None,
        /// <summary>No option has this name.</summary>
        Unknown,
        /// <summary>A Text, Count or Choice option written without <c>=value</c>.</summary>
        MissingValue,
        /// <summary>A flag written with <c>=value</c>.</summary>
        UnexpectedValue,
        /// <summary>A Count whose value is not a number.</summary>
        NotANumber,
        /// <summary>A Count outside its range.</summary>
        OutOfRange,
        /// <summary>A Choice whose value is not one of its choices.</summary>
        NotAChoice,
    }

    /// <summary>One kernel command-line option: its name, what it does, and how its value is parsed.</summary>
    public struct Option
    {
        public string Name;
        public OptionKind Kind;
        /// <summary>For <see cref="OptionKind.Count"/>: the inclusive range.</summary>
        public ulong Min, Max;
        /// <summary>For <see cref="OptionKind.Choice"/>: the accepted values, separated by '|'.</summary>
        public string Choices;
        public string Help;

        public static Option Flag(string name, string help) => new Option { Name = name, Kind = OptionKind.Flag, Help = help };
        public static Option Text(string name, string help) => new Option { Name = name, Kind = OptionKind.Text, Help = help };
        public static Option Count(string name, ulong min, ulong max, string help) => new Option { Name = name, Kind = OptionKind.Count, Min = min, Max = max, Help = help };
        public static Option Choice(string name, string choices, string help) => new Option { Name = name, Kind = OptionKind.Choice, Choices = choices, Help = help };
    }

    /// <summary>
    /// Every option the kernel reads, declared once: <see cref="All"/> is the
    /// list the boot check (<see cref="Check"/>) warns from, naming unknown
    /// words and invalid values, so a typo does not pass silently. Readers
    /// still look values up through <see cref="CommandLine"/>; a value this
    /// check rejects is one they ignore (or, for <c>fault=</c>, panic on).
    /// Adding an option is one line here.
    /// </summary>
    public static unsafe class Options
    {
        public static readonly Option[] All =
        {
            Option.Flag("test", "run the in-kernel tests, then exit (test kernel only)"),
            Option.Text("test.filter", "run only the tests whose names start with this"),
            Option.Count("test.timeout", 1, 3600, "seconds a test may run before it is reported as timed out (default 60)"),
            Option.Flag("test.hang", "also register testing.hang, a test that never returns (checks the time-out)"),
            Option.Choice("fault", FaultKinds, "trigger a deliberate fault of this kind, which must panic"),
            Option.Flag("exit", "leave the emulator once ready"),
            Option.Flag("exit-on-panic", "leave the emulator with a failing status on a panic"),
            Option.Flag("halt-on-panic", "keep the machine up after a panic, to read the screen"),
            Option.Flag("bench", "run the benchmarks, then exit (test kernel only)"),
            Option.Text("bench.filter", "run only the benchmarks whose names start with this"),
            Option.Count("smp", 1, (ulong)Threading.Scheduler.MaxCpus, "bring up at most this many CPUs"),
            Option.Choice("ltt", "window|block", "object tables: a per-CPU window (default) or reached through the per-CPU block"),
            Option.Count("net.dev", 0, 15, "use the Nth virtio-net device found (default 0, the first)"),
            Option.Text("ip", "static IPv4 address and prefix, e.g. 10.0.2.15/24 (default: DHCP)"),
            Option.Text("gw", "static IPv4 gateway, with ip="),
            Option.Count("kv.port", 1, 65535, "TCP port of the key-value service (default 8080)"),
            Option.Count("kv.request_timeout", 1, 3600, "seconds a started key-value request may go without a byte before it is answered 408 (default 10)"),
            Option.Count("kv.workers", 1, 1024, "key-value connections served at once, a thread each (default 64; more wait in the backlog)"),
            Option.Count("net.conns", 2, 4096, "most TCP connections at once (default from NetConfig)"),
            Option.Count("patch.apply", 0, 3_600_000, "apply the boot module's *.bundle files this many ms after boot (docs/patching.md)"),
            Option.Count("patch.rollback", 0, 64, "after patch.apply, roll back to this patch level"),
            Option.Count("update.port", 0, 65535, "TCP port of the update daemon (default 7777; 0 turns it off; docs/update-daemon.md)"),
            Option.Count("update.max_bundle", 4096, 17 * 1024 * 1024, "largest bundle the update daemon takes, in bytes (default 4 MiB; allocated at boot)"),
        };

        /// <summary>The kinds <c>fault=</c> accepts (kernel/Diagnostics/Faults.cs).</summary>
        public const string FaultKinds = "null|cast|index|divzero|throw|oom|stack";

        /// <summary>The declaration named <paramref name="key"/>, or -1.</summary>
        public static int Find(byte* key, int keyLength)
        {
            for (int i = 0; i < All.Length; i++)
                if (Same(All[i].Name, key, keyLength)) return i;
            return -1;
        }

        /// <summary>
        /// Checks one word against the declarations (<paramref name="value"/> is null for a bare word).
        /// <paramref name="option"/> is the declaration's index, or -1 when unknown.
        /// </summary>
        public static OptionProblem Validate(byte* key, int keyLength, byte* value, int valueLength, out int option)
        {
            option = Find(key, keyLength);
            if (option < 0) return OptionProblem.Unknown;
            Option o = All[option];
            if (o.Kind == OptionKind.Flag) return value == null ? OptionProblem.None : OptionProblem.UnexpectedValue;
            if (value == null) return OptionProblem.MissingValue;
            if (o.Kind == OptionKind.Count)
            {
                ulong n;
                if (!ParseNumber(value, valueLength, out n)) return OptionProblem.NotANumber;
                return n < o.Min || n > o.Max ? OptionProblem.OutOfRange : OptionProblem.None;
            }
            if (o.Kind == OptionKind.Choice) return IsChoice(o.Choices, value, valueLength) ? OptionProblem.None : OptionProblem.NotAChoice;
            return OptionProblem.None;
        }

        /// <summary>Warns once per word of <paramref name="cmd"/> that is unknown or has an invalid value, naming the word and the value.</summary>
        public static int Check(CommandLine cmd)
        {
            int problems = 0, pos = 0;
            byte* known = stackalloc byte[KnownListCapacity];
            byte* key; int keyLength; byte* value; int valueLength;
            while (cmd.Next(ref pos, out key, out keyLength, out value, out valueLength))
            {
                int i;
                OptionProblem p = Validate(key, keyLength, value, valueLength, out i);
                if (p == OptionProblem.None) continue;
                problems++;
                var k = new AsciiText(key, keyLength);
                var v = new AsciiText(value, valueLength);
                switch (p)
                {
                    case OptionProblem.Unknown:
                        Log.Warn("boot", $"unknown command-line option '{k}' ignored (known: {new AsciiText(known, KnownList(known, KnownListCapacity))})");
                        break;
                    case OptionProblem.MissingValue:
                        Log.Warn("boot", $"command-line option '{k}' needs a value ({k}=...): ignored");
                        break;
                    case OptionProblem.UnexpectedValue:
                        Log.Warn("boot", $"command-line option '{k}' takes no value: '={v}' ignored");
                        break;
                    case OptionProblem.NotANumber:
                        Log.Warn("boot", $"command-line option {k}={v}: '{v}' is not a number ({All[i].Min}..{All[i].Max}): ignored");
                        break;
                    case OptionProblem.OutOfRange:
                        Log.Warn("boot", $"command-line option {k}={v}: {v} is outside {All[i].Min}..{All[i].Max}: ignored");
                        break;
                    case OptionProblem.NotAChoice:
                        Log.Warn("boot", $"command-line option {k}={v}: '{v}' is not one of {All[i].Choices}: ignored");
                        break;
                }
            }
            return problems;
        }

        private const int KnownListCapacity = 512;

        /// <summary>Writes "test, test.filter=, ..." (a '=' marks an option that takes a value) into <paramref name="buffer"/>; returns its length.</summary>
        public static int KnownList(byte* buffer, int capacity)
        {
            int n = 0;
            for (int i = 0; i < All.Length; i++)
            {
                if (i > 0) { Put(buffer, capacity, ref n, ','); Put(buffer, capacity, ref n, ' '); }
                string name = All[i].Name;
                for (int c = 0; c < name.Length; c++) Put(buffer, capacity, ref n, name[c]);
                if (All[i].Kind != OptionKind.Flag) Put(buffer, capacity, ref n, '=');
            }
            return n;
        }

        /// <summary>Parses N (decimal, or hex with 0x); false if empty or not a number.</summary>
        public static bool ParseNumber(byte* v, int length, out ulong number)
        {
            number = 0;
            if (length == 0) return false;
            int i = 0;
            ulong b = 10;
            if (length > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) { b = 16; i = 2; }
            for (; i < length; i++)
            {
                byte c = v[i];
                ulong d;
                if (c >= '0' && c <= '9') d = (ulong)(c - '0');
                else if (b == 16 && c >= 'a' && c <= 'f') d = (ulong)(c - 'a' + 10);
                else if (b == 16 && c >= 'A' && c <= 'F') d = (ulong)(c - 'A' + 10);
                else return false;
                number = number * b + d;
            }
            return true;
        }

        /// <summary>True if <paramref name="value"/> is one of the '|'-separated <paramref name="choices"/>.</summary>
        public static bool IsChoice(string choices, byte* value, int length)
        {
            int start = 0;
            for (int i = 0; i <= choices.Length; i++)
            {
                if (i < choices.Length && choices[i] != '|') continue;
                if (i - start == length)
                {
                    bool same = true;
                    for (int c = 0; c < length && same; c++) same = choices[start + c] == value[c];
                    if (same) return true;
                }
                start = i + 1;
            }
            return false;
        }

        private static void Put(byte* buffer, int capacity, ref int n, char c)
        {
            if (n < capacity) buffer[n++] = (byte)c;
        }

        private static bool Same(string name, byte* s, int length)
        {
            if (name.Length != length) return false;
            for (int i = 0; i < length; i++) if (s[i] != name[i]) return false;
            return true;
        }
    }
}
