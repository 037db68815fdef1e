using System;
using Molt.Boot;

namespace Molt.Console
{
    /// <summary>
    /// The kernel log on screen: every character <see cref="KernelConsole"/>
    /// writes is also drawn on the loader's linear framebuffer with
    /// <see cref="Font"/> (8x16 cells, light grey on black), from the top left,
    /// scrolling up a text row when the last one is full. Arch-neutral: it
    /// only needs the framebuffer's physical address and shape in
    /// <see cref="BootInfo"/>, reached through the direct map.
    ///
    /// Like the serial console it never allocates and takes no lock of its
    /// own (callers hold the console lock; a panic breaks it), so it works in
    /// a panic. Every pixel write is bounds-checked against the framebuffer,
    /// so even racing writers can garble text but never write outside it.
    /// </summary>
    public static unsafe class FramebufferConsole
    {
        /// <summary>The text colour and the background, as 0xRRGGBB.</summary>
        public const uint Foreground = 0xD0D0D0, Background = 0x000000;

        private static byte* s_pixels;
        private static uint s_width, s_height, s_pitch, s_bytesPerPixel;
        private static uint s_fg, s_bg;
        private static int s_columns, s_rows, s_column, s_row;

        public static bool Attached => s_pixels != null;
        public static int Columns => s_columns;
        public static int Rows => s_rows;

        /// <summary>
        /// Starts drawing on the framebuffer in <paramref name="boot"/>, if any,
        /// at <paramref name="virtualAddress"/> (its direct-map address, which
        /// must be mapped now). Clears the screen. Returns false when there is
        /// no framebuffer or it is too small for one text row.
        /// </summary>
        public static bool Attach(BootInfo* boot, ulong virtualAddress)
        {
            if (boot->FramebufferPhysical == 0) return false;
            uint cols = boot->FramebufferWidth / Font.Width, rows = boot->FramebufferHeight / Font.Height;
            if (cols == 0 || rows == 0) return false;
            s_width = boot->FramebufferWidth;
            s_height = boot->FramebufferHeight;
            s_pitch = boot->FramebufferPitch;
            s_bytesPerPixel = boot->FramebufferBitsPerPixel / 8;
            s_fg = Pack(boot, Foreground);
            s_bg = Pack(boot, Background);
            s_columns = (int)cols;
            s_rows = (int)rows;
            s_column = 0;
            s_row = 0;
            s_pixels = (byte*)virtualAddress;
            Fill(0, s_height);
            return true;
        }

        /// <summary>Stops drawing (the mapping is going away, or the screen belongs to someone else now).</summary>
        public static void Detach() => s_pixels = null;

        /// <summary>Draws one character: printable ASCII, '\n' (new line), '\r' (column 0), '\t' (next multiple of 8); others as '?'.</summary>
        public static void Write(char c)
        {
            if (s_pixels == null) return;
            if (c == '\r') { s_column = 0; return; }
            if (c == '\n') { NewLine(); return; }
            if (c == '\t')
            {
                int next = (s_column + 8) & ~7;
                while (s_column < next && s_column < s_columns) Write(' ');
                return;
            }
            if (s_column >= s_columns) NewLine();
            int row = s_row, column = s_column;
            if ((uint)row >= (uint)s_rows || (uint)column >= (uint)s_columns) { s_row = s_rows - 1; s_column = 0; return; }
            Draw(c, column, row);
            s_column = column + 1;
        }

        private static void NewLine()
        {
            s_column = 0;
            if (s_row + 1 < s_rows) { s_row++; return; }
            s_row = s_rows - 1;
            Scroll();
        }

        /// <summary>Moves every text row up one (a memmove of the pixels) and clears the last.</summary>
        private static void Scroll()
        {
            uint line = (uint)Font.Height * s_pitch;
            uint keep = (uint)(s_rows - 1) * line;
            Buffer.MemoryCopy(s_pixels + line, s_pixels, keep, keep);
            Fill((uint)(s_rows - 1) * Font.Height, s_height);
        }

        private static void Draw(char c, int column, int row)
        {
            ReadOnlySpan<byte> glyph = Font.Glyph(c);
            uint x0 = (uint)column * Font.Width, y0 = (uint)row * Font.Height;
            if (x0 + Font.Width > s_width || y0 + Font.Height > s_height) return;
            uint fg = s_fg, bg = s_bg;
            for (int y = 0; y < Font.Height; y++)
            {
                byte bits = glyph[y / (Font.Height / Font.RowsPerGlyph)];
                byte* p = s_pixels + (y0 + (uint)y) * s_pitch + x0 * s_bytesPerPixel;
                if (s_bytesPerPixel == 4)
                {
                    // The common case, without the per-pixel format switch.
                    uint* q = (uint*)p;
                    for (int x = 0; x < Font.Width; x++) q[x] = (bits & (0x80 >> x)) != 0 ? fg : bg;
                    continue;
                }
                for (int x = 0; x < Font.Width; x++, p += s_bytesPerPixel)
                    Put(p, (bits & (0x80 >> x)) != 0 ? fg : bg);
            }
        }

        /// <summary>Paints pixel rows [from, to) with the background.</summary>
        private static void Fill(uint from, uint to)
        {
            if (to > s_height) to = s_height;
            for (uint y = from; y < to; y++)
            {
                byte* p = s_pixels + y * s_pitch;
                if (s_bytesPerPixel == 4)
                {
                    // Two pixels a store; rows are 4-byte aligned, which is all x86 and Normal memory need.
                    ulong two = (ulong)s_bg << 32 | s_bg;
                    ulong* q = (ulong*)p;
                    uint x = 0;
                    for (; x + 2 <= s_width; x += 2) *q++ = two;
                    if (x < s_width) *(uint*)q = s_bg;
                }
                else
                    for (uint x = 0; x < s_width; x++, p += s_bytesPerPixel) Put(p, s_bg);
            }
        }

        private static void Put(byte* p, uint pixel)
        {
            switch (s_bytesPerPixel)
            {
                case 4: *(uint*)p = pixel; break;
                case 3: p[0] = (byte)pixel; p[1] = (byte)(pixel >> 8); p[2] = (byte)(pixel >> 16); break;
                default: *(ushort*)p = (ushort)pixel; break;
            }
        }

        /// <summary>0xRRGGBB in the framebuffer's pixel format.</summary>
        private static uint Pack(BootInfo* boot, uint rgb)
        {
            return Channel(rgb >> 16, boot->RedShift, boot->RedSize)
                 | Channel(rgb >> 8, boot->GreenShift, boot->GreenSize)
                 | Channel(rgb, boot->BlueShift, boot->BlueSize);
        }

        private static uint Channel(uint value, byte shift, byte size)
        {
            value &= 0xFF;
            if (size == 0 || shift >= 32) return 0;
            if (size < 8) value >>= 8 - size;
            return value << shift;
        }
    }
}
