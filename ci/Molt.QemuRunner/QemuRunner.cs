using System.Diagnostics;
using System.Text;

namespace Molt.QemuRunner;

/// <summary>
/// Boots a kernel or image in QEMU and reports what happened as a
/// <see cref="QemuResult"/>. The guest's serial port is QEMU's stdout; stdin
/// is closed so QEMU never touches the terminal. The time-out kills QEMU and
/// everything it started, so a hung guest can never hang CI.
/// </summary>
public static class QemuRunner
{
    /// <summary>How long to wait for QEMU's pipes to close after it exits or is killed.</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs one boot to its end or its time-out. <paramref name="onSerialLine"/>
    /// sees each line as it arrives (on a pool thread), for live output.
    /// Throws <see cref="QemuNotFoundException"/> if QEMU is missing,
    /// <see cref="FileNotFoundException"/> if the kernel or image is, and
    /// <see cref="OperationCanceledException"/> (after killing QEMU) if
    /// <paramref name="cancellationToken"/> fires.
    /// </summary>
    public static async Task<QemuResult> RunAsync(
        QemuRunOptions options, Action<string>? onSerialLine = null, CancellationToken cancellationToken = default)
    {
        var args = QemuCommandLine.Build(options);
        string qemu = QemuLocator.Locate(options.Arch, options.QemuBinary);
        var psi = new ProcessStartInfo(qemu)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);

        var capture = new SerialCapture();
        using var process = new Process { StartInfo = psi };
        var clock = Stopwatch.StartNew();
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new QemuNotFoundException($"could not start {qemu}: {e.Message}");
        }
        process.StandardInput.Close();
        var serialTask = ReadLinesAsync(process.StandardOutput, line => { capture.Add(line); onSerialLine?.Invoke(line); });
        var stderrTask = process.StandardError.ReadToEndAsync(CancellationToken.None);

        bool timedOut = false;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            limit.CancelAfter(options.Timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                await KillAsync(process).ConfigureAwait(false);
            }
        }
        clock.Stop();
        // QEMU is gone; its pipes close now unless something it started still holds them.
        await Task.WhenAny(Task.WhenAll(serialTask, stderrTask), Task.Delay(DrainLimit)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        int? status = timedOut ? null : process.ExitCode;
        var lines = capture.Lines();
        var serial = SerialOutput.Parse(lines);
        var (outcome, why) = Outcome.Classify(options.Arch, timedOut, status, serial, lines.Count, options.Timeout);
        return new QemuResult
        {
            Options = options,
            CommandLine = [qemu, .. args],
            SerialLines = lines,
            StandardError = stderrTask.IsCompletedSuccessfully ? stderrTask.Result : "",
            Outcome = outcome,
            Reason = why,
            ExitStatus = status,
            KernelExitValue = status is int s ? ExitStatus.KernelValue(options.Arch, s) : null,
            Duration = clock.Elapsed,
            Serial = serial,
        };
    }

    private static async Task ReadLinesAsync(StreamReader reader, Action<string> onLine)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
                onLine(line);
        }
        catch (ObjectDisposedException) { } // the process was disposed while we read: the run is over
        catch (IOException) { }
    }

    private static async Task KillAsync(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { return; } // it exited just before the kill
        using var bound = new CancellationTokenSource(DrainLimit);
        try { await process.WaitForExitAsync(bound.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { } // SIGKILL was sent; don't wait forever for the kernel to reap it
    }
}
