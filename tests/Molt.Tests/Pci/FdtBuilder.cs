using System.Text;

namespace Molt.Tests.Pci;

/// <summary>
/// Writes a flattened device tree (version 17) for parser fixtures: nodes
/// and properties in document order, big-endian cells, a strings block.
/// Test code only; the kernel reads these with Molt.Boot.DeviceTree.
/// </summary>
public sealed class FdtBuilder
{
    private readonly MemoryStream _struct = new();
    private readonly MemoryStream _strings = new();
    private readonly Dictionary<string, int> _names = [];

    private void Word(uint v) { _struct.WriteByte((byte)(v >> 24)); _struct.WriteByte((byte)(v >> 16)); _struct.WriteByte((byte)(v >> 8)); _struct.WriteByte((byte)v); }
    private void Pad() { while (_struct.Length % 4 != 0) _struct.WriteByte(0); }

    /// <summary>Opens a node ("" for the root).</summary>
    public FdtBuilder Begin(string name)
    {
        Word(1);
        var b = Encoding.ASCII.GetBytes(name);
        _struct.Write(b);
        _struct.WriteByte(0);
        Pad();
        return this;
    }

    public FdtBuilder End() { Word(2); return this; }

    /// <summary>A property with raw bytes.</summary>
    public FdtBuilder Prop(string name, byte[] value)
    {
        if (!_names.TryGetValue(name, out int off))
        {
            off = (int)_strings.Length;
            _strings.Write(Encoding.ASCII.GetBytes(name));
            _strings.WriteByte(0);
            _names[name] = off;
        }
        Word(3);
        Word((uint)value.Length);
        Word((uint)off);
        _struct.Write(value);
        Pad();
        return this;
    }

    /// <summary>A property of 32-bit cells.</summary>
    public FdtBuilder Cells(string name, params uint[] cells) => Prop(name, CellBytes(cells));

    /// <summary>A string (or, with several, a string list) property.</summary>
    public FdtBuilder Str(string name, params string[] values)
    {
        var ms = new MemoryStream();
        foreach (var v in values) { ms.Write(Encoding.ASCII.GetBytes(v)); ms.WriteByte(0); }
        return Prop(name, ms.ToArray());
    }

    public static byte[] CellBytes(uint[] cells)
    {
        var b = new byte[cells.Length * 4];
        for (int i = 0; i < cells.Length; i++)
        {
            b[4 * i] = (byte)(cells[i] >> 24); b[4 * i + 1] = (byte)(cells[i] >> 16);
            b[4 * i + 2] = (byte)(cells[i] >> 8); b[4 * i + 3] = (byte)cells[i];
        }
        return b;
    }

    /// <summary>The blob: header, an empty reservation map, the structure block, the strings.</summary>
    public byte[] Finish()
    {
        Word(9);
        var structure = _struct.ToArray();
        var strings = _strings.ToArray();
        const int header = 40;
        int rsv = header, structOff = rsv + 16, stringsOff = structOff + structure.Length;
        int total = stringsOff + strings.Length;
        var blob = new byte[total];
        void Put(int at, uint v) { blob[at] = (byte)(v >> 24); blob[at + 1] = (byte)(v >> 16); blob[at + 2] = (byte)(v >> 8); blob[at + 3] = (byte)v; }
        Put(0, 0xd00dfeed); Put(4, (uint)total); Put(8, (uint)structOff); Put(12, (uint)stringsOff);
        Put(16, (uint)rsv); Put(20, 17); Put(24, 16); Put(28, 0); Put(32, (uint)strings.Length); Put(36, (uint)structure.Length);
        structure.CopyTo(blob, structOff);
        strings.CopyTo(blob, stringsOff);
        return blob;
    }
}
