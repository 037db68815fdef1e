using System;
using System.Runtime.CompilerServices;
using Molt.Time;

namespace Molt.Console
{
    /// <summary>
    /// The kernel log. Each line carries the time since boot and a subsystem tag:
    /// <code>[    0.012345] mem: 126 MiB usable</code>
    /// Messages are C# interpolated strings, formatted straight to the console
    /// by <see cref="LogLine"/> with no allocation:
    /// <code>Log.Info("mem", $"heap at {addr:x16}, {count} pages");</code>
    /// Supported formats: <c>x</c>/<c>X</c> with a digit count, <c>d</c> with a width.
    /// </summary>
    public static class Log
    {
        public static void Info(string tag, [InterpolatedStringHandlerArgument("tag")] ref LogLine line) => line.Finish();
        public static void Warn(string tag, [InterpolatedStringHandlerArgument("tag")] ref WarnLine line) => line.Finish();

        internal static void WritePrefix(string tag, string level)
        {
            ulong ns = Clock.NanosecondsSinceBoot();
            KernelConsole.Write('[');
            KernelConsole.WriteUnsigned(ns / 1_000_000_000, 5);
            KernelConsole.Write('.');
            KernelConsole.WriteUnsigned(ns / 1000 % 1_000_000, 6, '0');
            KernelConsole.Write("] ");
            KernelConsole.Write(tag);
            KernelConsole.Write(": ");
            if ((object)level != null) KernelConsole.Write(level);
        }
    }

    /// <summary>Formats one log line as the compiler hands over its parts.</summary>
    [InterpolatedStringHandler]
    public ref struct LogLine
    {
        private readonly bool _irq;
        public LogLine(int literalLength, int formattedCount, string tag) { _irq = KernelConsole.Lock(); Log.WritePrefix(tag, null); }
        public void AppendLiteral(string s) => KernelConsole.Write(s);
        public void AppendFormatted(string s) => KernelConsole.Write(s);
        public void AppendFormatted(ReadOnlySpan<char> s) => KernelConsole.Write(s);
        public void AppendFormatted(char c) => KernelConsole.Write(c);
        public void AppendFormatted(bool b) => KernelConsole.Write(b ? "true" : "false");
        /// <summary>Bytes as hex digits, two per byte (hashes, ids).</summary>
        public void AppendFormatted(ReadOnlySpan<byte> bytes) { for (int i = 0; i < bytes.Length; i++) KernelConsole.WriteHex(bytes[i], 2); }
        public unsafe void AppendFormatted(AsciiText t) => KernelConsole.WriteAscii(t.Text, t.Length);
        public void AppendFormatted(FourCC code)
        {
            for (int i = 0; i < 4; i++)
            {
                char c = (char)((code.Value >> (8 * i)) & 0xFF);
                KernelConsole.Write(c >= ' ' && c < 127 ? c : '?');
            }
        }
        public void AppendFormatted(int v, string format = null) => Number.Write(v, format, 0);
        public void AppendFormatted(long v, string format = null) => Number.Write(v, format, 0);
        public void AppendFormatted(uint v, string format = null) => Number.WriteUnsigned(v, format, 0);
        public void AppendFormatted(ulong v, string format = null) => Number.WriteUnsigned(v, format, 0);
        public void AppendFormatted(int v, int alignment, string format = null) => Number.Write(v, format, alignment);
        public void AppendFormatted(long v, int alignment, string format = null) => Number.Write(v, format, alignment);
        public void AppendFormatted(ulong v, int alignment, string format = null) => Number.WriteUnsigned(v, format, alignment);
        internal void Finish() { KernelConsole.Write('\n'); KernelConsole.Unlock(_irq); }
        internal LogLine(bool irq) { _irq = irq; }
    }

    /// <summary>A log line marked as a warning.</summary>
    [InterpolatedStringHandler]
    public ref struct WarnLine
    {
        private LogLine _line;
        public WarnLine(int literalLength, int formattedCount, string tag)
        {
            bool irq = KernelConsole.Lock();
            Log.WritePrefix(tag, "warning: ");
            _line = new LogLine(irq);
        }
        public void AppendLiteral(string s) => _line.AppendLiteral(s);
        public void AppendFormatted(string s) => _line.AppendFormatted(s);
        public void AppendFormatted(ReadOnlySpan<char> s) => _line.AppendFormatted(s);
        public void AppendFormatted(char c) => _line.AppendFormatted(c);
        public void AppendFormatted(AsciiText t) => _line.AppendFormatted(t);
        public void AppendFormatted(FourCC code) => _line.AppendFormatted(code);
        public void AppendFormatted(int v, string format = null) => _line.AppendFormatted(v, format);
        public void AppendFormatted(long v, string format = null) => _line.AppendFormatted(v, format);
        public void AppendFormatted(uint v, string format = null) => _line.AppendFormatted(v, format);
        public void AppendFormatted(ulong v, string format = null) => _line.AppendFormatted(v, format);
        internal void Finish() => _line.Finish();
    }

    /// <summary>Writes a number with a .NET-style format ("x8", "X", "d5") and right alignment.</summary>
    internal static class Number
    {
        internal static void Write(long v, string format, int alignment)
        {
            char kind; int width;
            TextFormat.ParseFormat(format, out kind, out width);
            if (kind == 'x' || kind == 'X') { WriteUnsigned((ulong)v, format, alignment); return; }
            Span<char> buf = stackalloc char[24];
            int n = TextFormat.FormatDecimal(v, buf);
            Pad(n < width ? width : n, alignment);
            for (int i = n; i < width; i++) KernelConsole.Write('0');
            KernelConsole.Write(buf.Slice(0, n));
        }

        internal static void WriteUnsigned(ulong v, string format, int alignment)
        {
            char kind; int width;
            TextFormat.ParseFormat(format, out kind, out width);
            Span<char> buf = stackalloc char[24];
            int n;
            if (kind == 'x' || kind == 'X') n = TextFormat.FormatHex(v, buf, width, kind == 'X');
            else
            {
                n = TextFormat.FormatUnsigned(v, buf);
                Pad(n < width ? width : n, alignment);
                for (int i = n; i < width; i++) KernelConsole.Write('0');
                KernelConsole.Write(buf.Slice(0, n));
                return;
            }
            Pad(n, alignment);
            KernelConsole.Write(buf.Slice(0, n));
        }

        private static void Pad(int length, int alignment)
        {
            for (int i = length; i < alignment; i++) KernelConsole.Write(' ');
        }
    }
}

namespace Molt.Console
{
    /// <summary>A view of ASCII bytes owned elsewhere, for logging without converting to a string.</summary>
    public readonly unsafe struct AsciiText
    {
        public readonly byte* Text;
        public readonly int Length;
        public AsciiText(byte* text, int length) { Text = text; Length = length; }
    }
}

namespace Molt.Console
{
    /// <summary>Four ASCII characters packed little-endian (ACPI signatures, tags), for logging.</summary>
    public readonly struct FourCC
    {
        public readonly uint Value;
        public FourCC(uint value) { Value = value; }
    }
}
