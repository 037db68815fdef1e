namespace Molt.Cli;

/// <summary>
/// A failure the user can act on. Program prints it as the one line
/// "molt: error: &lt;message&gt;" and exits non-zero; the message names the
/// precise thing (file, field, class, symbol).
/// </summary>
public sealed class CliError(string message) : Exception(message);
