using Molt.Image;

// molt-ksyms: writes the kernel symbol table for an ELF.
//   molt-ksyms <kernel.elf> <out.bin> [--low 0xADDR] [--build-id FILE]
if (args.Length < 2 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: molt-ksyms <kernel.elf> <out.bin> [--low 0xADDRESS] [--build-id FILE]\n" +
        "Writes the symbol table the kernel embeds in .ksyms (format: image/SymbolTable/KernelSymbolTable.cs):\n" +
        "symbols by address for backtraces, global symbols by name for the patch linker, and the build id.\n" +
        "Symbols below --low (default 0xffff800000000000) are left out.\n" +
        "--build-id FILE: a file holding the image's build id as 64 hex digits (sha256sum's first field).");
    return args.Length < 2 ? 2 : 0;
}
ulong low = 0xffff800000000000;
byte[] buildId = [];
for (int i = 2; i < args.Length; i++)
{
    if (args[i] == "--low" && i + 1 < args.Length)
    {
        var text = args[++i];
        if (!ulong.TryParse(text.StartsWith("0x") ? text[2..] : text, System.Globalization.NumberStyles.HexNumber, null, out low))
        {
            Console.Error.WriteLine($"molt-ksyms: --low: '{text}' is not a hex address");
            return 2;
        }
    }
    else if (args[i] == "--build-id" && i + 1 < args.Length)
    {
        var path = args[++i];
        try
        {
            var hex = File.ReadAllText(path).Trim().Split(' ')[0];
            buildId = Convert.FromHexString(hex);
            if (buildId.Length != KernelSymbolTable.BuildIdSize) throw new FormatException($"{buildId.Length} bytes, not {KernelSymbolTable.BuildIdSize}");
        }
        catch (Exception e) when (e is FormatException or IOException)
        {
            Console.Error.WriteLine($"molt-ksyms: --build-id {path}: not a build id ({e.Message})");
            return 2;
        }
    }
    else
    {
        Console.Error.WriteLine($"molt-ksyms: unknown option '{args[i]}' (see --help)");
        return 2;
    }
}
try
{
    var elf = File.ReadAllBytes(args[0]);
    var table = KernelSymbolTable.Build(ElfSymbols.Read(elf, args[0]), low, buildId);
    File.WriteAllBytes(args[1], table);
    return 0;
}
catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"molt-ksyms: {e.Message}");
    return 1;
}
