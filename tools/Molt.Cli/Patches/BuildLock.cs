namespace Molt.Cli.Patches;

/// <summary>
/// One build of a patch project per arch at a time: intermediate files go
/// to fixed paths (&lt;project&gt;/obj/&lt;arch&gt;/, wiped at the start), so two
/// `molt patch build` runs of the same project (two terminals, or parallel
/// system tests) would delete each other's files mid-build. The lock is an
/// exclusive open of &lt;project&gt;/obj/&lt;arch&gt;.lock (.NET takes an flock for
/// FileShare.None); the operating system drops it when the process ends,
/// so a crashed build leaves no stale lock.
/// </summary>
public static class BuildLock
{
    public static FileStream Acquire(string projectDir, string arch, Action<string> log, TimeSpan? patience = null)
    {
        string obj = Path.Combine(projectDir, "obj");
        Directory.CreateDirectory(obj);
        string path = Path.Combine(obj, arch + ".lock");
        DateTime giveUp = DateTime.UtcNow + (patience ?? TimeSpan.FromMinutes(10));
        bool said = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < giveUp)
            {
                if (!said) log($"wait   another build of {Path.GetFileName(projectDir)} ({arch}) holds {path}");
                said = true;
                Thread.Sleep(200);
            }
            catch (IOException)
            {
                throw new CliError($"another build of {projectDir} ({arch}) has held {path} for too long");
            }
        }
    }
}
