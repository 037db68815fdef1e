using System.Runtime.CompilerServices;

namespace System
{
    /// <summary>
    /// UTF-16 string. Literals are frozen objects ilc emits at compile time;
    /// strings built at run time come from the kernel heap and are freed by
    /// their owner. Field names are fixed: ilc's preinitializer needs exactly
    /// <c>_stringLength</c> and <c>_firstChar</c>.
    /// </summary>
    public sealed class String
    {
#pragma warning disable 649
        private readonly int _stringLength;
        private char _firstChar;
#pragma warning restore 649

        public static readonly string Empty = "";

        public int Length => _stringLength;

        [IndexerName("Chars")]
        public unsafe char this[int index]
        {
            get
            {
                if ((uint)index >= (uint)_stringLength)
                    Internal.Runtime.CompilerHelpers.ThrowHelpers.ThrowIndexOutOfRangeException();
                return Unsafe.Add(ref _firstChar, index);
            }
        }

        internal ref char GetRawData() => ref _firstChar;

        public ReadOnlySpan<char> AsSpan() => new ReadOnlySpan<char>(ref _firstChar, _stringLength);

        /// <summary>Allocates an uninitialised string of <paramref name="length"/> chars on the kernel heap.</summary>
        internal static unsafe string FastAllocate(int length)
        {
            void* p = Internal.Runtime.Allocation.NewArrayLike(Internal.Runtime.EETypes.Of<string>(), length);
            return Unsafe.AsRef<string>(&p);
        }

        /// <summary>A new heap string holding a copy of <paramref name="chars"/>. The caller frees it.</summary>
        public static unsafe string Create(ReadOnlySpan<char> chars)
        {
            string s = FastAllocate(chars.Length);
            for (int i = 0; i < chars.Length; i++) Unsafe.Add(ref s._firstChar, i) = chars[i];
            return s;
        }

        /// <summary>A new heap string from NUL-terminated ASCII. The caller frees it.</summary>
        public static unsafe string FromAscii(byte* p, int maxLength)
        {
            int n = 0;
            while (n < maxLength && p[n] != 0) n++;
            string s = FastAllocate(n);
            for (int i = 0; i < n; i++) Unsafe.Add(ref s._firstChar, i) = (char)p[i];
            return s;
        }

        public static bool operator ==(string a, string b) => Equals(a, b);
        public static bool operator !=(string a, string b) => !Equals(a, b);

        public override bool Equals(object obj) => obj is string s && Equals(this, s);

        /// <summary>Ordinal comparison; without it C# 14 binds <c>a.Equals(b)</c> to the span overload.</summary>
        public bool Equals(string value) => Equals(this, value);

        public static bool Equals(string a, string b)
        {
            if ((object)a == (object)b) return true;
            if ((object)a == null || (object)b == null) return false;
            if (a._stringLength != b._stringLength) return false;
            for (int i = 0; i < a._stringLength; i++)
                if (a[i] != b[i]) return false;
            return true;
        }

        public bool Equals(ReadOnlySpan<char> other)
        {
            if (other.Length != _stringLength) return false;
            for (int i = 0; i < _stringLength; i++)
                if (this[i] != other[i]) return false;
            return true;
        }

        public bool StartsWith(string prefix)
        {
            if (prefix._stringLength > _stringLength) return false;
            for (int i = 0; i < prefix._stringLength; i++)
                if (this[i] != prefix[i]) return false;
            return true;
        }

        public override int GetHashCode()
        {
            uint h = 2166136261;
            for (int i = 0; i < _stringLength; i++) h = (h ^ this[i]) * 16777619;
            return (int)h;
        }

        public override string ToString() => this;

        public static implicit operator ReadOnlySpan<char>(string value) =>
            (object)value == null ? default : new ReadOnlySpan<char>(ref value._firstChar, value._stringLength);
    }

    /// <summary>
    /// What C# 14 calls for its built-in string-to-ReadOnlySpan&lt;char&gt;
    /// conversion (<c>ReadOnlySpan&lt;char&gt; s = text;</c>).
    /// </summary>
    public static class MemoryExtensions
    {
        public static ReadOnlySpan<char> AsSpan(this string text) =>
            (object)text == null ? default : new ReadOnlySpan<char>(ref text.GetRawData(), text.Length);

        /// <summary>Byte-wise equality, with .NET's signature, so code shared with the host reads the same.</summary>
        public static bool SequenceEqual(this ReadOnlySpan<byte> span, ReadOnlySpan<byte> other)
        {
            if (span.Length != other.Length) return false;
            for (int i = 0; i < span.Length; i++)
                if (span[i] != other[i]) return false;
            return true;
        }

        /// <summary>Whether <paramref name="span"/> ends with <paramref name="value"/>, as .NET's.</summary>
        public static bool EndsWith(this ReadOnlySpan<byte> span, ReadOnlySpan<byte> value) =>
            span.Length >= value.Length && span.Slice(span.Length - value.Length).SequenceEqual(value);
    }
}
