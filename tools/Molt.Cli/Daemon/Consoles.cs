using Spectre.Console;

namespace Molt.Cli.Daemon;

/// <summary>
/// Where the daemon commands write: tables and summaries on stdout, the
/// upload progress on stderr. Redirected, both are plain text (no colour,
/// no cursor movement) and stdout is wide enough that tables do not wrap.
/// </summary>
public static class Consoles
{
    public static IAnsiConsole Out { get; } = Make(Console.Out, Console.IsOutputRedirected);

    public static IAnsiConsole Error { get; } = Make(Console.Error, Console.IsErrorRedirected);

    public static bool ErrorIsTerminal => !Console.IsErrorRedirected;

    private static IAnsiConsole Make(TextWriter writer, bool redirected)
    {
        IAnsiConsole c = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected) c.Profile.Width = 200;
        return c;
    }

    /// <summary>A line of markup on stdout ("[green]applied[/] ...").</summary>
    public static void Say(string markup) => Out.MarkupLine(markup);

    /// <summary>The raw answer for --json: exactly the body, newline-terminated.</summary>
    public static void Raw(string body)
    {
        Console.Out.Write(body);
        if (!body.EndsWith('\n')) Console.Out.WriteLine();
        Console.Out.Flush();
    }
}
