namespace Molt.Boot
{
    /// <summary>
    /// The kernel command line: words separated by spaces, each a flag
    /// (<c>test</c>) or a key=value pair (<c>test.filter=heap</c>). Values may
    /// be double-quoted to hold spaces. Parsing never allocates; lookups
    /// return slices of the original text.
    /// </summary>
    public unsafe ref struct CommandLine
    {
        private readonly byte* _text;
        private readonly int _length;

        public CommandLine(byte* text, int length) { _text = text; _length = length; }

        public int Length => _length;

        /// <summary>The number of words.</summary>
        public int Count()
        {
            int n = 0, pos = 0;
            byte* k; int kl; byte* v; int vl;
            while (Next(ref pos, out k, out kl, out v, out vl)) n++;
            return n;
        }

        /// <summary>Reads the word at <paramref name="pos"/> and advances past it; false at the end.</summary>
        public bool Next(ref int pos, out byte* key, out int keyLength, out byte* value, out int valueLength)
        {
            key = null; value = null; keyLength = 0; valueLength = 0;
            while (pos < _length && IsSpace(_text[pos])) pos++;
            if (pos >= _length) return false;
            key = _text + pos;
            while (pos < _length && !IsSpace(_text[pos]) && _text[pos] != '=') { pos++; keyLength++; }
            if (pos < _length && _text[pos] == '=')
            {
                pos++;
                if (pos < _length && _text[pos] == '"')
                {
                    pos++;
                    value = _text + pos;
                    while (pos < _length && _text[pos] != '"') { pos++; valueLength++; }
                    if (pos < _length) pos++;
                }
                else
                {
                    value = _text + pos;
                    while (pos < _length && !IsSpace(_text[pos])) { pos++; valueLength++; }
                }
            }
            return true;
        }

        private static bool IsSpace(byte c) => c == ' ' || c == '\t' || c == '\n' || c == '\r';

        private static bool Matches(byte* s, int length, string name)
        {
            if (length != name.Length) return false;
            for (int i = 0; i < length; i++) if (s[i] != name[i]) return false;
            return true;
        }

        /// <summary>True if <paramref name="name"/> appears as a flag or as a key.</summary>
        public bool Has(string name)
        {
            int pos = 0;
            byte* k; int kl; byte* v; int vl;
            while (Next(ref pos, out k, out kl, out v, out vl))
                if (Matches(k, kl, name)) return true;
            return false;
        }

        /// <summary>The value of the last <c>name=value</c>; false if absent or a bare flag.</summary>
        public bool TryGet(string name, out byte* value, out int valueLength)
        {
            value = null; valueLength = 0;
            bool found = false;
            int pos = 0;
            byte* k; int kl; byte* v; int vl;
            while (Next(ref pos, out k, out kl, out v, out vl))
                if (v != null && Matches(k, kl, name)) { value = v; valueLength = vl; found = true; }
            return found;
        }

        /// <summary>True if the last <c>name=value</c> has exactly <paramref name="value"/>.</summary>
        public bool ValueIs(string name, string value)
        {
            byte* v; int vl;
            if (!TryGet(name, out v, out vl) || vl != value.Length) return false;
            for (int i = 0; i < vl; i++) if (v[i] != value[i]) return false;
            return true;
        }

        /// <summary>Parses <c>name=N</c> (decimal, or hex with 0x); false if absent or not a number.</summary>
        public bool TryGetNumber(string name, out ulong number)
        {
            number = 0;
            byte* v; int vl;
            return TryGet(name, out v, out vl) && Options.ParseNumber(v, vl, out number);
        }
    }
}
