namespace Molt.Cli;

/// <summary>
/// A failure the user can act on. Program prints it as the one line
/// "molt: error: &lt;message&gt;" and exits with <see cref="ExitCode"/>
/// (1 unless said otherwise: see Daemon/ExitCodes.cs); the message names
/// the precise thing (file, field, class, symbol, address).
/// </summary>
public sealed class CliError(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
