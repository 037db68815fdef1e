using System;
using Molt.Hal;

namespace Molt.Console
{
    /// <summary>
    /// The kernel's text output, to the serial console and, once the loader
    /// gave a framebuffer, to the screen (<see cref="FramebufferConsole"/>). Writes never allocate, so they work in a panic.
    /// Log lines hold the console lock so lines from different CPUs do not mix.
    /// </summary>
    public static unsafe class KernelConsole
    {
        private static Threading.SpinLock s_lock;

        /// <summary>Keeps a whole line from one CPU together; returns the interrupt state for <see cref="Unlock"/>.</summary>
        public static bool Lock() => s_lock.Acquire();
        public static void Unlock(bool interruptsWereEnabled) => s_lock.Release(interruptsWereEnabled);

        /// <summary>For the panic path: the console must work even if a stopped CPU held the lock.</summary>
        public static void BreakLock() => s_lock.ForceRelease();

        public static void Write(char c)
        {
            if (c == '\n') DebugConsole.WriteByte((byte)'\r');
            DebugConsole.WriteByte(c < 128 ? (byte)c : (byte)'?');
            FramebufferConsole.Write(c);
        }

        public static void Write(string s)
        {
            if ((object)s == null) { Write("(null)"); return; }
            for (int i = 0; i < s.Length; i++) Write(s[i]);
        }

        public static void Write(ReadOnlySpan<char> s)
        {
            for (int i = 0; i < s.Length; i++) Write(s[i]);
        }

        public static void WriteAscii(byte* s, int maxLength)
        {
            for (int i = 0; i < maxLength && s[i] != 0; i++) Write((char)s[i]);
        }

        public static void WriteLine(string s) { Write(s); Write('\n'); }

        public static void WriteDecimal(long value, int width = 0, char pad = ' ')
        {
            Span<char> buf = stackalloc char[24];
            int n = TextFormat.FormatDecimal(value, buf);
            for (int i = n; i < width; i++) Write(pad);
            Write(buf.Slice(0, n));
        }

        public static void WriteUnsigned(ulong value, int width = 0, char pad = ' ')
        {
            Span<char> buf = stackalloc char[24];
            int n = TextFormat.FormatUnsigned(value, buf);
            for (int i = n; i < width; i++) Write(pad);
            Write(buf.Slice(0, n));
        }

        public static void WriteHex(ulong value, int digits = 0, bool upper = false)
        {
            Span<char> buf = stackalloc char[16];
            int n = TextFormat.FormatHex(value, buf, digits, upper);
            Write(buf.Slice(0, n));
        }
    }
}
