namespace Molt.Cli.Daemon;

/// <summary>The molt tool's exit statuses (docs/update-daemon.md, "The molt tool").</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked (applied, rolled back, status shown).</summary>
    public const int Done = 0;
    /// <summary>Refused: by the kernel (any refusal answer), by molt itself (nothing to roll back), or a failed local step (no key file).</summary>
    public const int Refused = 1;
    /// <summary>The command line is wrong: unknown option, missing argument, a --to that is not HOST:PORT.</summary>
    public const int BadCommandLine = 2;
    /// <summary>The daemon answered 409 busy: another update is receiving or applying; try again.</summary>
    public const int Busy = 3;
    /// <summary>No answer: cannot connect, timed out, or the connection dropped before the answer.</summary>
    public const int Unreachable = 4;
}
