#nullable disable
using System;

namespace Molt.Net.Http
{
    /// <summary>
    /// Writes JSON into a caller's buffer, with no allocation: objects,
    /// arrays, strings (escaped; bytes outside ASCII become '?'), integers,
    /// hex strings. Commas are placed by one flag: a value or an end makes
    /// the next item need one, a begin or a key does not. When the buffer is
    /// full the rest is dropped and <see cref="Overflowed"/> says so, so a
    /// caller answers 500 rather than cut JSON.
    /// </summary>
    public ref struct JsonWriter
    {
        private readonly Span<byte> _buffer;
        private int _length;
        private bool _needComma;

        public bool Overflowed;
        public int Length => _length;

        public JsonWriter(Span<byte> buffer) { _buffer = buffer; _length = 0; _needComma = false; Overflowed = false; }

        public void BeginObject() { Separate(); Byte((byte)'{'); _needComma = false; }
        public void EndObject() { Byte((byte)'}'); _needComma = true; }
        public void BeginArray() { Separate(); Byte((byte)'['); _needComma = false; }
        public void EndArray() { Byte((byte)']'); _needComma = true; }

        public void Key(string name) { Separate(); Quoted(name); Byte((byte)':'); _needComma = false; }

        public void String(string value) { Separate(); if ((object)value == null) Raw("null"); else Quoted(value); _needComma = true; }

        public void String(scoped ReadOnlySpan<byte> value)
        {
            Separate();
            Byte((byte)'"');
            for (int i = 0; i < value.Length; i++) Escaped(value[i]);
            Byte((byte)'"');
            _needComma = true;
        }

        /// <summary>Bytes as a string of lower-case hex digits.</summary>
        public void Hex(scoped ReadOnlySpan<byte> value)
        {
            Separate();
            Byte((byte)'"');
            for (int i = 0; i < value.Length; i++) { Byte(Digit(value[i] >> 4)); Byte(Digit(value[i] & 15)); }
            Byte((byte)'"');
            _needComma = true;
        }

        public void Number(long value)
        {
            Separate();
            if (value < 0) { Byte((byte)'-'); Unsigned(value == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)-value); }
            else Unsigned((ulong)value);
            _needComma = true;
        }

        public void Number(ulong value) { Separate(); Unsigned(value); _needComma = true; }
        public void Bool(bool value) { Separate(); Raw(value ? "true" : "false"); _needComma = true; }
        public void Null() { Separate(); Raw("null"); _needComma = true; }

        public void Field(string name, long value) { Key(name); Number(value); }
        public void Field(string name, ulong value) { Key(name); Number(value); }
        public void Field(string name, string value) { Key(name); String(value); }
        public void Field(string name, scoped ReadOnlySpan<byte> value) { Key(name); String(value); }

        private void Separate() { if (_needComma) Byte((byte)','); }

        private void Quoted(string s)
        {
            Byte((byte)'"');
            for (int i = 0; i < s.Length; i++) Escaped(s[i] < 0x80 ? (byte)s[i] : (byte)'?');
            Byte((byte)'"');
        }

        private void Escaped(byte c)
        {
            if (c == '"' || c == '\\') { Byte((byte)'\\'); Byte(c); return; }
            if (c == '\n') { Byte((byte)'\\'); Byte((byte)'n'); return; }
            if (c < 0x20 || c == 0x7F) { Raw("\\u00"); Byte(Digit(c >> 4)); Byte(Digit(c & 15)); return; }
            Byte(c >= 0x80 ? (byte)'?' : c);
        }

        private void Unsigned(ulong v)
        {
            Span<byte> digits = stackalloc byte[20];
            int n = 0;
            do { digits[n++] = (byte)('0' + v % 10); v /= 10; } while (v != 0);
            while (n > 0) Byte(digits[--n]);
        }

        private void Raw(string s) { for (int i = 0; i < s.Length; i++) Byte((byte)s[i]); }

        private static byte Digit(int d) => (byte)(d < 10 ? '0' + d : 'a' + d - 10);

        private void Byte(byte b)
        {
            if (_length < _buffer.Length) _buffer[_length++] = b;
            else Overflowed = true;
        }
    }
}
