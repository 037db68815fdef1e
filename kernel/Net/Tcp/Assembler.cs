#nullable disable
namespace Molt.Net.Tcp
{
    /// <summary>
    /// Tracks which bytes past the receive point have arrived out of order,
    /// as at most <see cref="MaxRanges"/> disjoint sorted ranges of offsets
    /// relative to RCV.NXT. The bytes themselves sit in the receive ring past
    /// its readable end. Bounded: a segment that would need one range more
    /// is refused (the sender retransmits it).
    /// </summary>
    public struct Assembler
    {
        public const int MaxRanges = 8;
        private unsafe fixed int _start[MaxRanges];
        private unsafe fixed int _end[MaxRanges];
        private int _n;

        public int RangeCount => _n;
        public bool IsEmpty => _n == 0;
        public void Clear() => _n = 0;

        /// <summary>Records [offset, offset+length); false (nothing changed) if it would need too many ranges.</summary>
        public unsafe bool Add(int offset, int length)
        {
            if (length <= 0) return true;
            int s = offset, e = offset + length;
            // Find the first range that ends at or after s (touching ranges merge).
            int i = 0;
            while (i < _n && _end[i] < s) i++;
            int j = i;
            while (j < _n && _start[j] <= e) { if (_start[j] < s) s = _start[j]; if (_end[j] > e) e = _end[j]; j++; }
            int merged = j - i; // ranges [i, j) collapse into one
            int newCount = _n - merged + 1;
            if (newCount > MaxRanges) return false;
            if (merged == 0)
            {
                for (int k = _n; k > i; k--) { _start[k] = _start[k - 1]; _end[k] = _end[k - 1]; }
            }
            else if (merged > 1)
            {
                int shift = merged - 1;
                for (int k = i + 1; k + shift < _n; k++) { _start[k] = _start[k + shift]; _end[k] = _end[k + shift]; }
            }
            _start[i] = s; _end[i] = e; _n = newCount;
            return true;
        }

        /// <summary>If a range starts at offset 0, removes it and returns its length; then rebases the rest.</summary>
        public unsafe int PopFront()
        {
            if (_n == 0 || _start[0] != 0) return 0;
            int len = _end[0];
            for (int k = 1; k < _n; k++) { _start[k - 1] = _start[k] - len; _end[k - 1] = _end[k] - len; }
            _n--;
            return len;
        }

        /// <summary>Highest offset covered (0 when empty).</summary>
        public unsafe int End => _n == 0 ? 0 : _end[_n - 1];
    }
}
