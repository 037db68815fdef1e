using System.Text;
using Molt.Cli.Bundles;
using Molt.Cli.Keys;
using Molt.Update.Bundles;

namespace Molt.Cli.Patches;

/// <summary>What one architecture's build made.</summary>
public sealed record BuildResult(string Arch, string OutputPath, byte[] Bundle, string AssemblyName, string EntrySymbol, PatchFacts Facts, int ObjectBytes);

/// <summary>
/// Builds a patch project into a signed bundle for one architecture:
/// 1. csc with the kernel's flags (bflat.props CscFlags, the arch define)
///    against build/&lt;arch&gt;/molt.dll, as assembly &lt;name&gt;_&lt;sequence&gt;:
///    ilc prefixes the patch's symbols with it, and two patches with the
///    same assembly name would clash in the kernel.
/// 2. The patch rules on the csc output (<see cref="PatchRules"/>). When a
///    patch class implements kernel interfaces, a generated source uses
///    them and csc runs again.
/// 3. ilc --multifile -r:molt.dll --systemmodule:molt with the kernel's
///    IlcFlags and IlcArchFlags.
/// 4. The object is checked: the entry symbol is defined, and every kernel
///    interface a patch class implements is in that class's MethodTable.
/// 5. Object, manifest and the kernel's build id are packed and signed;
///    the bundle is parsed back with the kernel's reader before it is written.
/// Intermediate files go to &lt;project&gt;/obj/&lt;arch&gt;/ (fixed paths, so the
/// output is the same bytes for the same inputs).
/// </summary>
public static class PatchBuilder
{
    public static BuildResult Build(Toolchain tc, string projectDir, PatchManifest m, string arch, byte[] seed, string outputPath, Action<string> log, bool keepInterfaces = true)
    {
        projectDir = Path.GetFullPath(projectDir);
        tc.RequireKernel(arch);
        string kernelDll = tc.KernelDll(arch);
        string objDir = Path.Combine(projectDir, "obj", arch);
        using FileStream buildLock = BuildLock.Acquire(projectDir, arch, log); // one build per project and arch at a time
        if (Directory.Exists(objDir)) Directory.Delete(objDir, recursive: true);
        Directory.CreateDirectory(objDir);

        string[] sources = Directory.EnumerateFiles(projectDir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsUnder(f, Path.Combine(projectDir, "obj")) && !IsUnder(f, Path.Combine(projectDir, "build")))
            .Order(StringComparer.Ordinal).ToArray();
        if (sources.Length == 0) throw new CliError($"{projectDir} has no .cs source");

        string asmName = AssemblyName(m.Name, m.Sequence);
        string dll = Path.Combine(objDir, asmName + ".dll");

        // 1-2. Compile, check the rules, keep kernel interfaces alive.
        log($"csc    {sources.Length} file(s) -> {Relative(dll)}");
        Csc(tc, arch, projectDir, objDir, sources, dll);
        PatchFacts facts = PatchRules.Check(dll, kernelDll, tc.SystemModule);
        if (facts.KernelInterfaces.Count > 0 && keepInterfaces)
        {
            string keep = Path.Combine(objDir, "KeepKernelInterfaces.g.cs");
            File.WriteAllText(keep, PatchRules.KeepInterfacesSource(facts.KernelInterfaces));
            log($"csc    again, keeping {facts.KernelInterfaces.Select(u => u.Interface.Display).Distinct().Count()} kernel interface(s) alive");
            Csc(tc, arch, projectDir, objDir, [.. sources, keep], dll);
        }

        // 3. ilc --multifile against the kernel.
        string obj = Path.Combine(objDir, asmName + ".o");
        log($"ilc    {Relative(dll)} -> {Relative(obj)}");
        var ilcArgs = new List<string> { dll, "-o:" + obj, "-r:" + kernelDll, "--systemmodule:" + tc.SystemModule, "--multifile" };
        ilcArgs.AddRange(Toolchain.SplitFlags(tc.IlcFlags));
        ilcArgs.AddRange(Toolchain.SplitFlags(tc.IlcArchFlags(arch)));
        var (ilcCode, ilcOut) = Toolchain.Run(tc.Ilc(), ilcArgs, objDir);
        File.WriteAllText(Path.Combine(objDir, "ilc.log"), ilcOut);
        if (ilcCode != 0 || !File.Exists(obj))
            throw new CliError($"ilc failed for {arch}: {FirstLine(ilcOut, "error")} (log: {Path.Combine(objDir, "ilc.log")})");

        // 4. Check the object.
        byte[] objectBytes = File.ReadAllBytes(obj);
        PatchObject po = PatchObject.Read(objectBytes);
        string entrySymbol = facts.EntryStem; // <assembly>_<namespace>_PatchMain__Register
        if (!po.IsDefined(entrySymbol))
            throw new CliError($"the object does not define the entry symbol {entrySymbol} of {facts.EntryMethod}");
        VerifyKernelInterfaces(po, facts);

        // 5. Pack, sign, check with the kernel's reader, write.
        byte[] publicKey = SigningKeys.PublicKeyOf(seed);
        var contents = new BundleContents
        {
            Arch = Toolchain.ArchCode(arch),
            BaseLevel = m.BaseLevel,
            Sequence = m.Sequence,
            BuildId = tc.BuildId(arch),
            Name = m.Name,
            Description = m.Description,
            Updates = m.UpdateSpecs(),
            EntrySymbol = entrySymbol,
            Object = objectBytes,
        };
        byte[] bundle = BundleWriter.Write(contents, SigningKeys.KeyId(publicKey), signed => SigningKeys.Sign(seed, signed));
        if (!BundleReader.TryParse(bundle, out _, out BundleError error))
            throw new CliError($"the bundle does not pass the kernel's reader: {error.Reason} at byte {error.Offset}");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
        File.WriteAllBytes(outputPath, bundle);
        log($"bundle {Relative(outputPath)} ({bundle.Length} bytes, object {objectBytes.Length} bytes, entry {entrySymbol})");
        return new BuildResult(arch, outputPath, bundle, asmName, entrySymbol, facts, objectBytes.Length);
    }

    /// <summary>Refuses a build in which a patch class lost a kernel interface from its MethodTable.</summary>
    public static void VerifyKernelInterfaces(PatchObject po, PatchFacts facts)
    {
        foreach (KernelInterfaceUse use in facts.KernelInterfaces)
        {
            string? mt = po.MethodTableSymbol(use.ClassStem)
                ?? throw new CliError($"patch rule: the MethodTable of {use.ClassName} (_ZTV…{use.ClassStem}) is not in the object, so the kernel could never see it as {use.Interface.Display}");
            PatchObject.InterfaceFacts f = po.InterfacesOf(mt);
            int index = -1;
            for (int i = 0; i < f.Interfaces.Count && index < 0; i++)
            {
                string n = PatchObject.Unmangle(f.Interfaces[i]);
                if (n == use.Interface.Stem || n.StartsWith(use.Interface.Stem + "<", StringComparison.Ordinal)) index = i;
            }
            if (index < 0)
                throw new CliError($"patch rule: {use.ClassName} would lose the kernel interface {use.Interface.Display}: its MethodTable lists {f.Interfaces.Count} interface(s){(f.Interfaces.Count > 0 ? " (" + string.Join(", ", f.Interfaces) + ")" : "")} and an empty dispatch map for it, so the kernel's casts and calls would fail");
            if (use.InterfaceMethods > 0 && f.DispatchEntries[index] == 0)
                throw new CliError($"patch rule: {use.ClassName} lists the kernel interface {use.Interface.Display} but its dispatch map has no entry for it{(f.HasDispatchMap ? "" : " (no dispatch map at all)")}, so the kernel's calls through it would fail");
        }
    }

    /// <summary>&lt;name&gt;_&lt;sequence&gt;, reduced to identifier characters (ilc's symbol prefix).</summary>
    public static string AssemblyName(string name, ulong sequence)
    {
        var sb = new StringBuilder();
        foreach (char c in name) sb.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        if (sb.Length == 0 || char.IsAsciiDigit(sb[0])) sb.Insert(0, 'p');
        return sb + "_" + sequence;
    }

    private static void Csc(Toolchain tc, string arch, string projectDir, string objDir, string[] sources, string dll)
    {
        var args = new List<string> { Toolchain.Csc() };
        args.AddRange(Toolchain.SplitFlags(tc.CscFlags));
        args.Add("-define:" + Toolchain.ArchDefine(arch));
        args.Add("-r:" + tc.KernelDll(arch));
        args.Add("-out:" + dll);
        // Fixed source paths in the output, wherever the project lives.
        args.Add($"-pathmap:{projectDir}=/patch,{objDir}=/patch-obj");
        args.AddRange(sources);
        var (code, output) = Toolchain.Run("dotnet", args, projectDir);
        File.WriteAllText(Path.Combine(objDir, "csc.log"), output);
        if (code != 0)
            throw new CliError($"csc failed for {arch}: {FirstLine(output, "error")} (log: {Path.Combine(objDir, "csc.log")})");
    }

    private static string FirstLine(string output, string containing)
    {
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.FirstOrDefault(l => l.Contains(containing, StringComparison.OrdinalIgnoreCase)) ?? lines.FirstOrDefault() ?? "no output";
    }

    private static bool IsUnder(string file, string dir) =>
        file.StartsWith(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string Relative(string path) => Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
}
