// Compiled for the host tests too (tests/Molt.Tests), where nullable analysis is on; kernel strings here may be null.
#nullable disable
namespace Molt.Boot
{
    /// <summary>
    /// A reader for a flattened device tree (DTB, format version 16/17), the
    /// hardware description AArch64 firmware and QEMU hand the kernel.
    ///
    /// <see cref="Open"/> checks the whole blob before anything reads it:
    /// the header (magic 0xd00dfeed, version, every block inside the total
    /// size and the size inside the caller's limit), then one pass over the
    /// structure block (tokens, NUL-terminated names inside the block,
    /// property values and name offsets in bounds, nodes balanced, an end
    /// token). A malformed tree is reported by reason and never followed.
    /// After that the accessors still bounds-check, but cannot meet garbage.
    ///
    /// Nodes are named by the offset of their FDT_BEGIN_NODE token in the
    /// structure block (-1 for none). Nothing allocates; strings returned are
    /// pointers into the blob. All values in the blob are big-endian.
    /// </summary>
    public unsafe struct DeviceTree
    {
        public const uint Magic = 0xd00dfeed;
        private const uint HeaderSize = 40;
        private const uint BeginNode = 1, EndNode = 2, Prop = 3, Nop = 4, End = 9;
        public const int MaxDepth = 16;

        private byte* _blob;
        private uint _size;
        private uint _struct, _structSize;
        private uint _strings, _stringsSize;
        private uint _reservations;

        public bool IsValid => _blob != null;
        public byte* Blob => _blob;
        public uint TotalSize => _size;

        public static uint ReadBE32(byte* p) => (uint)p[0] << 24 | (uint)p[1] << 16 | (uint)p[2] << 8 | p[3];
        public static ulong ReadBE64(byte* p) => (ulong)ReadBE32(p) << 32 | ReadBE32(p + 4);

        /// <summary>True if <paramref name="blob"/> starts with the DTB magic (a cheap probe; <see cref="Open"/> validates).</summary>
        public static bool HasMagic(byte* blob) => blob != null && ReadBE32(blob) == Magic;

        /// <summary>
        /// Validates the blob at <paramref name="blob"/>, of which at most
        /// <paramref name="limit"/> bytes may be read. Returns null and a usable
        /// <paramref name="tree"/>, or the reason the blob is rejected.
        /// </summary>
        public static string Open(byte* blob, ulong limit, out DeviceTree tree)
        {
            tree = default;
            if (blob == null) return "no device tree";
            if (limit < HeaderSize) return "device tree header out of bounds";
            if (ReadBE32(blob) != Magic) return "bad device tree magic";
            uint size = ReadBE32(blob + 4);
            uint offStruct = ReadBE32(blob + 8), offStrings = ReadBE32(blob + 12), offRsv = ReadBE32(blob + 16);
            uint version = ReadBE32(blob + 20), lastCompatible = ReadBE32(blob + 24);
            uint sizeStrings = ReadBE32(blob + 32), sizeStruct = ReadBE32(blob + 36);
            if (size < HeaderSize || size > limit) return "device tree total size out of bounds";
            if (version < 16 || lastCompatible > 17) return "unsupported device tree version";
            if (offStruct < HeaderSize || offStruct > size || sizeStruct > size - offStruct || (offStruct & 3) != 0 || (sizeStruct & 3) != 0)
                return "device tree structure block out of bounds";
            if (offStrings < HeaderSize || offStrings > size || sizeStrings > size - offStrings)
                return "device tree strings block out of bounds";
            if (offRsv < HeaderSize || offRsv > size - 16 || (offRsv & 7) != 0)
                return "device tree reservation block out of bounds";
            // The reservation list ends with a zero entry inside the blob.
            uint at = offRsv;
            while (true)
            {
                if (at > size - 16) return "device tree reservation list not terminated";
                if (ReadBE64(blob + at) == 0 && ReadBE64(blob + at + 8) == 0) break;
                at += 16;
            }
            var t = new DeviceTree
            {
                _blob = blob, _size = size, _struct = offStruct, _structSize = sizeStruct,
                _strings = offStrings, _stringsSize = sizeStrings, _reservations = offRsv,
            };
            string error = t.CheckStructure();
            if (error != null) return error;
            tree = t;
            return null;
        }

        private uint U32(int offset) => ReadBE32(_blob + _struct + offset);
        private static int Align4(int v) => (v + 3) & ~3;

        /// <summary>Offset just past a node's name (padded), or -1 if the name runs off the block.</summary>
        private int SkipName(int nameOffset)
        {
            int end = (int)_structSize;
            int p = nameOffset;
            byte* s = _blob + _struct;
            while (p < end && s[p] != 0) p++;
            if (p >= end) return -1;
            return Align4(p + 1);
        }

        private string CheckStructure()
        {
            int end = (int)_structSize;
            int pos = 0, depth = 0;
            bool sawRoot = false;
            while (true)
            {
                if (pos > end - 4) return "device tree structure not terminated";
                uint token = U32(pos);
                pos += 4;
                switch (token)
                {
                    case BeginNode:
                        if (depth == 0 && sawRoot) return "device tree has more than one root";
                        sawRoot = true;
                        if (++depth > MaxDepth) return "device tree nested too deeply";
                        pos = SkipName(pos);
                        if (pos < 0) return "device tree node name out of bounds";
                        break;
                    case EndNode:
                        if (--depth < 0) return "device tree nodes unbalanced";
                        break;
                    case Prop:
                        {
                            if (depth == 0) return "device tree property outside a node";
                            if (pos > end - 8) return "device tree property out of bounds";
                            uint length = U32(pos), nameOffset = U32(pos + 4);
                            if (length > (uint)(end - pos - 8)) return "device tree property value out of bounds";
                            if (nameOffset >= _stringsSize) return "device tree property name out of bounds";
                            byte* name = _blob + _strings + nameOffset;
                            uint room = _stringsSize - nameOffset, n = 0;
                            while (n < room && name[n] != 0) n++;
                            if (n >= room) return "device tree property name not terminated";
                            pos = Align4(pos + 8 + (int)length);
                            break;
                        }
                    case Nop:
                        break;
                    case End:
                        if (depth != 0 || !sawRoot) return "device tree ends inside a node";
                        return null;
                    default:
                        return "bad device tree token";
                }
            }
        }

        // ---- Memory reservation block ----

        /// <summary>The <paramref name="index"/>th /memreserve/ entry; false past the last.</summary>
        public bool GetReservation(int index, out ulong address, out ulong size)
        {
            byte* e = _blob + _reservations + 16 * (uint)index;
            address = ReadBE64(e);
            size = ReadBE64(e + 8);
            return address != 0 || size != 0;
        }

        // ---- Nodes ----

        /// <summary>The root node.</summary>
        public int Root
        {
            get
            {
                int pos = 0;
                while (U32(pos) == Nop) pos += 4;
                return pos;
            }
        }

        /// <summary>
        /// Advances <paramref name="node"/> to the next node in document order
        /// (-1 starts at the root), keeping <paramref name="depth"/> (root 0).
        /// Returns false after the last node.
        /// </summary>
        public bool NextNode(ref int node, ref int depth)
        {
            int pos;
            if (node < 0) { node = Root; depth = 0; return true; }
            pos = SkipName(node + 4);
            int d = depth + 1; // inside the current node
            while (true)
            {
                uint token = U32(pos);
                if (token == BeginNode) { node = pos; depth = d; return true; }
                if (token == EndNode) { d--; pos += 4; continue; }
                if (token == Prop) { pos = Align4(pos + 12 + (int)U32(pos + 4)); continue; }
                if (token == Nop) { pos += 4; continue; }
                return false; // End
            }
        }

        /// <summary>The node's name including any unit address ("pl011@9000000"); "" for the root.</summary>
        public byte* Name(int node) => _blob + _struct + node + 4;

        /// <summary>True if the node's name is <paramref name="name"/>, or <paramref name="name"/>@unit when <paramref name="name"/> has no unit address.</summary>
        public bool NameIs(int node, string name) => NameMatches(Name(node), name, 0, name.Length);

        private static bool NameMatches(byte* n, string s, int from, int to)
        {
            int i = 0;
            bool unit = false;
            for (int k = from; k < to; k++) if (s[k] == '@') unit = true;
            for (; from + i < to; i++)
                if (n[i] == 0 || n[i] != s[from + i]) return false;
            return n[i] == 0 || (!unit && n[i] == '@');
        }

        /// <summary>
        /// The node at an absolute <paramref name="path"/> ("/", "/chosen",
        /// "/memory", "/soc/uart@1000"), or -1. A component without a unit
        /// address matches the first node of that name with any unit address.
        /// </summary>
        public int FindNode(string path) => FindNode(path, 0, path.Length);

        private int FindNode(string path, int from, int to)
        {
            if (to - from < 1 || path[from] != '/') return -1;
            int node = -1, depth = 0;
            if (!NextNode(ref node, ref depth)) return -1;
            int start = from + 1;
            int level = 1; // depth of the component being matched
            while (start < to)
            {
                int stop = start;
                while (stop < to && path[stop] != '/') stop++;
                if (stop == start) { start++; continue; }
                int found = -1;
                while (NextNode(ref node, ref depth))
                {
                    if (depth < level) return -1;             // left the parent
                    if (depth == level && NameMatches(Name(node), path, start, stop)) { found = node; break; }
                }
                if (found < 0) return -1;
                level++;
                start = stop + 1;
            }
            return node;
        }

        /// <summary>Finds property <paramref name="name"/> of <paramref name="node"/> (not of its children).</summary>
        public bool GetProperty(int node, string name, out byte* value, out int length)
        {
            value = null; length = 0;
            if (node < 0) return false;
            int pos = SkipName(node + 4);
            while (true)
            {
                uint token = U32(pos);
                if (token == Nop) { pos += 4; continue; }
                if (token != Prop) return false;
                int len = (int)U32(pos + 4);
                byte* propName = _blob + _strings + U32(pos + 8);
                int i = 0;
                while (i < name.Length && propName[i] == name[i]) i++;
                if (i == name.Length && propName[i] == 0)
                {
                    value = _blob + _struct + pos + 12;
                    length = len;
                    return true;
                }
                pos = Align4(pos + 12 + len);
            }
        }

        public bool HasProperty(int node, string name) => GetProperty(node, name, out _, out _);

        /// <summary>A property holding one string, if it is NUL-terminated within its length.</summary>
        public byte* GetString(int node, string name, out int length)
        {
            length = 0;
            byte* v; int n;
            if (!GetProperty(node, name, out v, out n) || n == 0 || v[n - 1] != 0) return null;
            while (v[length] != 0) length++;
            return v;
        }

        /// <summary>A property of one 32-bit cell, or <paramref name="fallback"/> when absent or malformed.</summary>
        public uint GetU32(int node, string name, uint fallback)
        {
            byte* v; int n;
            if (!GetProperty(node, name, out v, out n) || n != 4) return fallback;
            return ReadBE32(v);
        }

        /// <summary>True if a string list property (e.g. "compatible") holds <paramref name="text"/>.</summary>
        public bool ListContains(int node, string name, string text)
        {
            byte* v; int n;
            if (!GetProperty(node, name, out v, out n)) return false;
            int i = 0;
            while (i < n)
            {
                int j = 0;
                while (j < text.Length && i + j < n && v[i + j] == text[j]) j++;
                if (j == text.Length && i + j < n && v[i + j] == 0) return true;
                while (i < n && v[i] != 0) i++;
                i++;
            }
            return false;
        }

        public bool IsCompatible(int node, string compatible) => ListContains(node, "compatible", compatible);

        /// <summary>"status" absent, "okay" or "ok".</summary>
        public bool IsEnabled(int node)
        {
            int n;
            byte* s = GetString(node, "status", out n);
            if (s == null) return !HasProperty(node, "status");
            return (n == 4 && s[0] == 'o' && s[1] == 'k' && s[2] == 'a' && s[3] == 'y') || (n == 2 && s[0] == 'o' && s[1] == 'k');
        }

        /// <summary>The next enabled node after <paramref name="after"/> (-1: from the start) compatible with <paramref name="compatible"/>, or -1.</summary>
        public int FindCompatible(string compatible, int after = -1)
        {
            int node = -1, depth = 0;
            if (after >= 0) { while (NextNode(ref node, ref depth) && node != after) { } }
            while (NextNode(ref node, ref depth))
                if (IsCompatible(node, compatible) && IsEnabled(node)) return node;
            return -1;
        }

        /// <summary>The parent of <paramref name="node"/>, or -1 for the root.</summary>
        public int Parent(int node)
        {
            int* stack = stackalloc int[MaxDepth + 1];
            int n = -1, depth = 0;
            while (NextNode(ref n, ref depth))
            {
                stack[depth] = n;
                if (n == node) return depth == 0 ? -1 : stack[depth - 1];
            }
            return -1;
        }

        /// <summary>#address-cells a node gives its children (2 when absent, as the specification says).</summary>
        public uint AddressCells(int node) => GetU32(node, "#address-cells", 2);
        /// <summary>#size-cells a node gives its children (1 when absent).</summary>
        public uint SizeCells(int node) => GetU32(node, "#size-cells", 1);

        private static ulong ReadCells(byte* p, uint cells) => cells == 1 ? ReadBE32(p) : cells == 2 ? ReadBE64(p) : 0;

        /// <summary>
        /// Entry <paramref name="index"/> of the node's "reg", as a CPU
        /// physical address: read with the parent's #address-cells and
        /// #size-cells, then translated through every ancestor's "ranges"
        /// (empty ranges: identity). False if absent, malformed, or not
        /// translatable.
        /// </summary>
        public bool ReadReg(int node, int index, out ulong address, out ulong size)
        {
            address = 0; size = 0;
            int parent = Parent(node);
            if (parent < 0) return false;
            uint ac = AddressCells(parent), sc = SizeCells(parent);
            if (ac < 1 || ac > 2 || sc > 2) return false;
            byte* v; int n;
            if (!GetProperty(node, "reg", out v, out n)) return false;
            int entry = (int)(4 * (ac + sc));
            if ((index + 1) * entry > n) return false;
            byte* e = v + index * entry;
            address = ReadCells(e, ac);
            size = sc == 0 ? 0 : ReadCells(e + 4 * ac, sc);
            return Translate(parent, ref address);
        }

        /// <summary>Translates a bus address on <paramref name="bus"/> up to the root through "ranges".</summary>
        private bool Translate(int bus, ref ulong address)
        {
            for (int guard = 0; guard < MaxDepth; guard++)
            {
                int parent = Parent(bus);
                if (parent < 0) return true; // the root's address space is the CPU's
                byte* v; int n;
                if (!GetProperty(bus, "ranges", out v, out n)) return true; // tolerate a missing ranges as identity
                if (n == 0) { bus = parent; continue; }
                uint childCells = AddressCells(bus), parentCells = AddressCells(parent), sizeCells = SizeCells(bus);
                if (childCells < 1 || childCells > 2 || parentCells < 1 || parentCells > 2 || sizeCells < 1 || sizeCells > 2) return false;
                int entry = (int)(4 * (childCells + parentCells + sizeCells));
                bool mapped = false;
                for (int at = 0; at + entry <= n; at += entry)
                {
                    ulong child = ReadCells(v + at, childCells);
                    ulong target = ReadCells(v + at + 4 * childCells, parentCells);
                    ulong length = ReadCells(v + at + 4 * (childCells + parentCells), sizeCells);
                    if (address >= child && address - child < length)
                    {
                        address = address - child + target;
                        mapped = true;
                        break;
                    }
                }
                if (!mapped) return false;
                bus = parent;
            }
            return false;
        }
    }
}
