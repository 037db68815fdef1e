namespace Molt.TestDriver;

/// <summary>
/// Finds the repository root, the folder with bflat.props and the Makefile,
/// so the driver works from any directory and paths such as build/x64/molt.elf
/// resolve the same way the Makefile's do.
/// </summary>
public static class RepoRoot
{
    /// <summary>The root above <paramref name="start"/>; throws if there is none.</summary>
    public static string Find(string start)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "bflat.props")) && File.Exists(Path.Combine(dir.FullName, "Makefile")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"no Molt repository (a folder with bflat.props and Makefile) at or above {start}; use --root");
    }
}
