using System.CommandLine;
using Molt.Cli;
using Molt.Cli.Commands;
using Molt.Cli.Keys;
using Molt.Cli.Patches;
using Spectre.Console;

// The `molt` host tool (docs/patching.md). Every failure is one line on
// stderr, "molt: error: <reason>", and a non-zero exit status:
// 1 for a failed command, 2 for a bad command line (and, for the daemon
// commands, 3 busy, 4 unreachable: tools/Molt.Cli/Daemon/ExitCodes.cs).
return Cli.Run(args);

namespace Molt.Cli
{
    public static class Cli
    {
        public static int Run(string[] args)
        {
            RootCommand root = BuildCommands();
            ParseResult parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                // The most specific complaint: an unknown word beats "command not provided".
                string message = parsed.Errors.Select(e => e.Message).OrderBy(m => m.StartsWith("Unrecognized", StringComparison.Ordinal) ? 0 : 1).First();
                Console.Error.WriteLine($"molt: error: {OneLine(message)} (molt --help)");
                return 2;
            }
            try
            {
                return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            }
            catch (CliError e)
            {
                Console.Error.WriteLine($"molt: error: {OneLine(e.Message)}");
                return e.ExitCode;
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"molt: error: {OneLine(e.Message)}");
                return 1;
            }
            catch (UnauthorizedAccessException e)
            {
                Console.Error.WriteLine($"molt: error: {OneLine(e.Message)}");
                return 1;
            }
            catch (Exception e)
            {
                // Still one line: the details would help a bug report, not the user.
                Console.Error.WriteLine($"molt: error: unexpected {e.GetType().Name}: {OneLine(e.Message)} (a bug in molt)");
                return 1;
            }
        }

        /// <summary>A message on one line: "Must be one of:\n\t'a'\n\t'b'" becomes "Must be one of: 'a', 'b'".</summary>
        public static string OneLine(string message)
        {
            string[] lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines.Length <= 1 ? message.Trim() : lines[0] + " " + string.Join(", ", lines[1..]);
        }

        private static IAnsiConsole Out { get; } = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });

        private static void Say(string markup)
        {
            if (Console.IsOutputRedirected) Console.WriteLine(Markup.Remove(markup));
            else Out.MarkupLine(markup);
        }

        private static RootCommand BuildCommands()
        {
            var root = new RootCommand("molt: keys and signed live patches for the Molt kernel, and pushing them to a running one (docs/patching.md, docs/update-daemon.md).");

            // ---- keygen ----
            var keyDir = new Option<string>("--output", "-o") { Description = "Folder for the key pair", DefaultValueFactory = _ => "." };
            var keyName = new Option<string>("--name") { Description = "Base name of the key files (<name>.key, <name>.pub)", DefaultValueFactory = _ => SigningKeys.DefaultBaseName };
            var force = new Option<bool>("--force") { Description = "Replace existing key files" };
            var keygen = new Command("keygen", "Write a new Ed25519 signing key pair: <name>.key (secret, mode 0600; never commit it) and <name>.pub.")
            {
                keyDir, keyName, force,
            };
            keygen.SetAction(r =>
            {
                var (secret, pub) = SigningKeys.WritePair(SigningKeys.Generate(), r.GetValue(keyDir)!, r.GetValue(keyName)!, r.GetValue(force));
                byte[] id = SigningKeys.KeyId(SigningKeys.ReadPublicKey(pub));
                Say($"[green]wrote[/] {Markup.Escape(secret)} (secret, 0600) and {Markup.Escape(pub)}; key id {Convert.ToHexStringLower(id)}");
                return 0;
            });
            root.Subcommands.Add(keygen);

            // ---- key export ----
            var exportKey = new Argument<string>("public-key") { Description = "A public key file (.pub) or a secret key file (.key)" };
            var format = new Option<string>("--format", "-f") { Description = "bin (32 raw bytes), hex, asm (.rodata symbols molt_trusted_public_key/_key_id) or cs (Molt.Update.Trust.TrustedKey)", DefaultValueFactory = _ => "bin" };
            format.AcceptOnlyFromAmong("bin", "hex", "asm", "cs");
            var exportOut = new Option<string?>("--output", "-o") { Description = "Output file (default: standard output, except for bin)" };
            var export = new Command("export", "Write the public key in a form the kernel image embeds as its trusted key.") { exportKey, format, exportOut };
            export.SetAction(r =>
            {
                byte[] data = SigningKeys.Export(SigningKeys.ReadPublicKey(r.GetValue(exportKey)!), r.GetValue(format)!);
                string? output = r.GetValue(exportOut);
                if (output != null) File.WriteAllBytes(output, data);
                else if (r.GetValue(format) == "bin") throw new CliError("--format bin needs --output <file>");
                else Console.Out.Write(System.Text.Encoding.ASCII.GetString(data));
                return 0;
            });
            var key = new Command("key", "Work with key files.") { export };
            root.Subcommands.Add(key);

            // ---- patch ----
            var patch = new Command("patch", "Create, build and inspect patches.");
            root.Subcommands.Add(patch);

            var newName = new Argument<string>("name") { Description = "The patch's name (1-64 bytes), also its folder unless -o is given" };
            var newDir = new Option<string?>("--output", "-o") { Description = "Folder to create (default: ./<name>)" };
            var patchNew = new Command("new", "Write a patch project: patch.json (name, description, base level, sequence, arch, updates) and Patch.cs with the entry PatchMain.Register.") { newName, newDir };
            patchNew.SetAction(r =>
            {
                string dir = PatchProject.Create(r.GetValue(newName)!, r.GetValue(newDir));
                Say($"[green]created[/] {Markup.Escape(dir)} (edit patch.json and Patch.cs, then: molt patch build {Markup.Escape(Path.GetRelativePath(Directory.GetCurrentDirectory(), dir))})");
                return 0;
            });
            patch.Subcommands.Add(patchNew);

            var buildDir = new Argument<string>("dir") { Description = "The patch project folder (holding patch.json)" };
            var arch = new Option<string?>("--arch") { Description = "x64, arm64 or all (default: patch.json's \"arch\")" };
            arch.AcceptOnlyFromAmong("x64", "arm64", "all");
            var signKey = new Option<string?>("--key") { Description = "Secret key file (default: <root>/build/keys/molt-signing.key)" };
            var buildOut = new Option<string?>("--output", "-o") { Description = "Bundle file (default: <dir>/build/<name>-<sequence>.<arch>.mpatch); with several arches .<arch> is put before its extension" };
            var noKeep = new Option<bool>("--no-keep-interfaces") { Description = "Diagnostic: skip the generated use of kernel interfaces, to see the object check refuse a class that lost one" };
            var rootOpt = new Option<string?>("--root") { Description = "The Molt tree (default: $MOLT_ROOT, else the nearest folder above holding bflat.props)" };
            var kernelOpt = new Option<string>("--kernel") { Description = "Which kernel build to target: release (build/<arch>/molt.elf, what make run boots) or test (molt-test.elf)", DefaultValueFactory = _ => "release" };
            kernelOpt.AcceptOnlyFromAmong("release", "test");
            var sequenceOpt = new Option<ulong?>("--sequence") { Description = "Sign with this sequence number instead of patch.json's (re-pushing a patch after a rollback needs a higher one: the kernel never takes a sequence twice)" };
            var baseLevelOpt = new Option<uint?>("--base-level") { Description = "Stack on this patch level instead of patch.json's baseLevel" };
            var build = new Command("build", "Compile a patch against the exact kernel build it targets (csc, the patch rules, ilc --multifile), then pack and sign the bundle.")
            {
                buildDir, arch, signKey, buildOut, rootOpt, kernelOpt, sequenceOpt, baseLevelOpt, noKeep,
            };
            build.SetAction(r =>
            {
                string dir = r.GetValue(buildDir)!;
                if (!Directory.Exists(dir)) throw new CliError($"{dir} is not a folder");
                PatchManifest m = PatchManifest.Load(dir);
                if (r.GetValue(sequenceOpt) is ulong sequence)
                {
                    if (sequence == 0) throw new CliError("--sequence must be at least 1");
                    m.Sequence = sequence;
                }
                if (r.GetValue(baseLevelOpt) is uint baseLevel) m.BaseLevel = baseLevel;
                Toolchain tc = Toolchain.Find(r.GetValue(rootOpt));
                tc.Kernel = r.GetValue(kernelOpt)!;
                string archChoice = r.GetValue(arch) ?? m.Arch;
                string[] arches = archChoice == "all" ? ["x64", "arm64"] : [archChoice];
                string keyPath = r.GetValue(signKey) ?? Path.Combine(tc.Root, "build", "keys", SigningKeys.DefaultBaseName + ".key");
                if (!File.Exists(keyPath))
                    throw new CliError($"no signing key at {keyPath} (make keys, molt keygen -o <dir>, or --key <file>)");
                byte[] seed = SigningKeys.ReadSecretSeed(keyPath);
                foreach (string a in arches)
                {
                    string output = OutputPath(r.GetValue(buildOut), dir, m, a, arches.Length > 1);
                    PatchBuilder.Build(tc, dir, m, a, seed, output, line => Say(Markup.Escape(line)), keepInterfaces: !r.GetValue(noKeep));
                }
                return 0;
            });
            patch.Subcommands.Add(build);

            var inspectPath = new Argument<string>("bundle") { Description = "A bundle file" };
            var inspectKey = new Option<string?>("--key") { Description = "Public (or secret) key file to check the signature against" };
            var summary = new Option<bool>("--summary") { Description = "Count the object's symbols instead of listing them" };
            var inspect = new Command("inspect", "Show every field of a bundle, its signature status against --key, and the symbols its object needs and defines.")
            {
                inspectPath, inspectKey, summary,
            };
            inspect.SetAction(r =>
            {
                Inspect.Run(r.GetValue(inspectPath)!, r.GetValue(inspectKey), !r.GetValue(summary), Console.Out);
                return 0;
            });
            patch.Subcommands.Add(inspect);

            // ---- push, status, rollback (a running kernel's update daemon) ----
            DaemonCommands.AddTo(root);
            return root;
        }

        private static string OutputPath(string? requested, string dir, PatchManifest m, string arch, bool several)
        {
            if (requested == null)
                return Path.Combine(dir, "build", $"{PatchBuilder.AssemblyName(m.Name, m.Sequence)}.{arch}.mpatch");
            if (!several) return requested;
            string ext = Path.GetExtension(requested);
            return Path.Combine(Path.GetDirectoryName(requested) ?? "", Path.GetFileNameWithoutExtension(requested) + "." + arch + ext);
        }
    }
}
