using Spectre.Console;

namespace Molt.Cli.Daemon;

/// <summary>
/// Shows an upload's progress on stderr while <c>run</c> does the upload
/// and waits for the answer. On a terminal: a Spectre progress bar (bytes,
/// speed), which says "waiting for the kernel" once every byte is sent. Not
/// on a terminal (a log, a test): one plain line per quarter,
/// "molt: uploading NAME: 25% (X of Y bytes)", so a log shows how far an
/// upload got without a line per chunk.
/// </summary>
public static class UploadProgress
{
    public static T Run<T>(string name, long total, Func<Action<long>, T> run)
    {
        if (!Consoles.ErrorIsTerminal) return run(Plain(name, total));
        T result = default!;
        Consoles.Error.Progress()
            .AutoClear(true)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
            .Start(ctx =>
            {
                ProgressTask task = ctx.AddTask(Markup.Escape($"uploading {name}"), maxValue: Math.Max(1, total));
                result = run(sent =>
                {
                    task.Value = sent;
                    if (sent >= total) task.Description = Markup.Escape($"{name}: waiting for the kernel");
                });
            });
        return result;
    }

    private static Action<long> Plain(string name, long total)
    {
        int printed = 0; // quarters already reported
        return sent =>
        {
            int quarters = total == 0 ? 4 : (int)Math.Min(4, sent * 4 / total);
            while (printed < quarters)
            {
                printed++;
                long at = Math.Min(total, total * printed / 4);
                Console.Error.WriteLine($"molt: uploading {name}: {printed * 25}% ({(printed == 4 ? total : at)} of {total} bytes)");
            }
        };
    }
}
