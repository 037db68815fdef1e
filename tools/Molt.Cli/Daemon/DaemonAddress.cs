using System.Globalization;

namespace Molt.Cli.Daemon;

/// <summary>Where the update daemon listens: HOST:PORT (host a name, an IPv4 address or [IPv6]).</summary>
public sealed record DaemonAddress(string Host, int Port)
{
    public const string Default = "127.0.0.1:7777";

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public static DaemonAddress Parse(string text) =>
        TryParse(text, out DaemonAddress? a, out string why) ? a! : throw new CliError(why, ExitCodes.BadCommandLine);

    public static bool TryParse(string? text, out DaemonAddress? address, out string why)
    {
        address = null;
        why = $"--to '{text}' is not HOST:PORT (for example {Default})";
        if (string.IsNullOrWhiteSpace(text)) return false;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1) return false;
        string host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        else if (host.Contains(':')) return false; // a bare IPv6 address: ambiguous, ask for [brackets]
        if (host.Length == 0 || host.Any(char.IsWhiteSpace)) return false;
        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port < 1 || port > 65535)
        {
            why = $"--to '{text}': the port must be a number from 1 to 65535";
            return false;
        }
        address = new DaemonAddress(host, port);
        return true;
    }
}
