using System.Net.Sockets;
using System.Text;
using Molt.Console;
using Molt.QemuRunner;

namespace Molt.Tests.Support;

/// <summary>
/// A picture of the guest's screen, taken with QEMU's <c>screendump</c>
/// monitor command (a binary PPM), and read back as text: each 8x16 cell is
/// compared with every glyph of kernel/Console/Font.cs, the font the kernel
/// draws with, rendered the way the kernel renders it.
/// </summary>
public sealed class Screen
{
    /// <summary>The kernel's text colour, FramebufferConsole.Foreground in kernel/Console/FramebufferConsole.cs.</summary>
    public const uint Ink = 0xD0D0D0;

    public int Width { get; }
    public int Height { get; }
    private readonly byte[] _rgb;

    private Screen(int width, int height, byte[] rgb) { Width = width; Height = height; _rgb = rgb; }

    /// <summary>0xRRGGBB of pixel (x, y).</summary>
    public uint Pixel(int x, int y)
    {
        int i = (y * Width + x) * 3;
        return (uint)(_rgb[i] << 16 | _rgb[i + 1] << 8 | _rgb[i + 2]);
    }

    /// <summary>Reads a binary PPM (P6, maxval 255).</summary>
    public static Screen FromPpm(byte[] data)
    {
        int pos = 0;
        string Token()
        {
            while (pos < data.Length && (char.IsWhiteSpace((char)data[pos]) || data[pos] == '#'))
            {
                if (data[pos] == '#') while (pos < data.Length && data[pos] != '\n') pos++;
                else pos++;
            }
            int start = pos;
            while (pos < data.Length && !char.IsWhiteSpace((char)data[pos])) pos++;
            return Encoding.ASCII.GetString(data, start, pos - start);
        }
        if (Token() != "P6") throw new FormatException("not a binary PPM");
        int w = int.Parse(Token()), h = int.Parse(Token()), max = int.Parse(Token());
        if (max != 255) throw new FormatException($"PPM maxval {max}");
        pos++;
        if (data.Length - pos < w * h * 3) throw new FormatException("PPM truncated");
        return new Screen(w, h, data[pos..(pos + w * h * 3)]);
    }

    /// <summary>The 8x16 cell of <paramref name="c"/> as the kernel draws it: 16 rows, bit 7 leftmost.</summary>
    public static byte[] Cell(char c)
    {
        var glyph = Font.Glyph(c);
        var rows = new byte[Font.Height];
        for (int y = 0; y < Font.Height; y++) rows[y] = glyph[y * Font.RowsPerGlyph / Font.Height];
        return rows;
    }

    private static readonly Dictionary<string, char> s_cells = BuildCells();

    private static Dictionary<string, char> BuildCells()
    {
        var d = new Dictionary<string, char>();
        for (char c = (char)Font.First; c <= (char)Font.Last; c++) d.TryAdd(Convert.ToHexString(Cell(c)), c);
        return d;
    }

    /// <summary>
    /// The text on screen, one string per 16-pixel row, trailing spaces
    /// trimmed: a pixel of <paramref name="foreground"/> is ink, anything else
    /// paper. A cell that matches no glyph reads as U+FFFD.
    /// </summary>
    public IReadOnlyList<string> Text(uint foreground = Ink)
    {
        var lines = new List<string>();
        for (int row = 0; row + Font.Height <= Height; row += Font.Height)
        {
            var sb = new StringBuilder();
            for (int col = 0; col + Font.Width <= Width; col += Font.Width)
            {
                var bits = new byte[Font.Height];
                for (int y = 0; y < Font.Height; y++)
                    for (int x = 0; x < Font.Width; x++)
                        if (Pixel(col + x, row + y) == foreground) bits[y] |= (byte)(0x80 >> x);
                sb.Append(s_cells.TryGetValue(Convert.ToHexString(bits), out char c) ? c : '\uFFFD');
            }
            lines.Add(sb.ToString().TrimEnd());
        }
        return lines;
    }

    /// <summary>
    /// Boots <paramref name="options"/> with a QEMU monitor on a Unix socket,
    /// and once the serial line <paramref name="trigger"/> appears takes a
    /// screendump and quits QEMU. The screen is null if the line never came.
    /// </summary>
    public static async Task<(QemuResult Result, Screen? Screen)> CaptureAsync(QemuRunOptions options, string trigger, string folder)
    {
        string id = Guid.NewGuid().ToString("N")[..12];
        string socketPath = Path.Combine(Path.GetTempPath(), $"molt-mon-{id}.sock");
        string ppm = Path.Combine(folder, $"screen-{id}.ppm");
        Task? dump = null;
        var opts = options with { ExtraArgs = [.. options.ExtraArgs, "-monitor", $"unix:{socketPath},server,nowait"] };
        try
        {
            var result = await QemuRunner.QemuRunner.RunAsync(opts, line =>
            {
                if (dump == null && line.TrimEnd('\r') == trigger) dump = DumpAndQuitAsync(socketPath, ppm);
            });
            if (dump != null) await dump;
            return (result, File.Exists(ppm) ? FromPpm(await File.ReadAllBytesAsync(ppm)) : null);
        }
        finally
        {
            File.Delete(socketPath);
        }
    }

    // HMP: wait for the "(qemu)" prompt, send screendump, wait for the prompt after it (the file is complete), quit.
    private static async Task DumpAndQuitAsync(string socketPath, string ppm)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        using var stream = new NetworkStream(socket, ownsSocket: false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await ReadUntilPromptAsync(stream, timeout.Token);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"screendump {ppm}\n"), timeout.Token);
        await ReadUntilPromptAsync(stream, timeout.Token);
        await stream.WriteAsync("quit\n"u8.ToArray(), timeout.Token);
        // Keep the socket open until QEMU closes it: closing first can make QEMU drop the unread "quit".
        var buffer = new byte[4096];
        try { while (await stream.ReadAsync(buffer, timeout.Token) > 0) { } }
        catch (IOException) { }
    }

    private static async Task ReadUntilPromptAsync(Stream stream, CancellationToken token)
    {
        var seen = new StringBuilder();
        var buffer = new byte[4096];
        while (!seen.ToString().Contains("(qemu)"))
        {
            int n = await stream.ReadAsync(buffer, token);
            if (n == 0) throw new IOException("QEMU monitor closed");
            seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
    }
}
