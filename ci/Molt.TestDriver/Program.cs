using Molt.TestDriver;

// molt-test: the driver behind `make test`. See DriverOptions.Usage.
DriverOptions options;
try
{
    options = DriverOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"molt-test: {e.Message}\n\n{DriverOptions.Usage}");
    return 2;
}
if (options.Help)
{
    Console.WriteLine(DriverOptions.Usage);
    return 0;
}

string root;
try
{
    root = options.Root != null ? Path.GetFullPath(options.Root) : RepoRoot.Find(Directory.GetCurrentDirectory());
}
catch (DirectoryNotFoundException e)
{
    Console.Error.WriteLine($"molt-test: {e.Message}");
    return 2;
}

var tally = new Tally();
var clock = System.Diagnostics.Stopwatch.StartNew();
if (options.Host)
    await HostSuite.RunAsync(options, root, tally);
if (options.Kernel)
    foreach (var config in KernelConfiguration.All.Where(c => options.Arch == null || c.Arch == options.Arch))
        await KernelSuite.RunAsync(config, options, root, tally);

Console.WriteLine($"molt-test: finished in {clock.Elapsed.TotalSeconds:0.0} s");
if (tally.Passed + tally.Failed == 0)
    Console.WriteLine("molt-test: no test ran");
Console.WriteLine(tally.Summary());
return tally.Succeeded ? 0 : 1;
