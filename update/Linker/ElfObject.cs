using System;

namespace Molt.Update.Linker
{
    /// <summary>One section header, as read (not yet trusted beyond what <see cref="ElfObject.Parse"/> checked).</summary>
    public struct ElfSection
    {
        public uint Name, Type, Link, Info;
        public ulong Flags, Offset, Size, Align, EntrySize;
        public bool Alloc => (Flags & Elf.ShfAlloc) != 0;
        public bool HasFileData => Type != Elf.ShtNobits && Type != Elf.ShtNull;
    }

    /// <summary>One symbol. <see cref="Section"/> is the real index (SHN_XINDEX already resolved) or a reserved value.</summary>
    public struct ElfSymbol
    {
        public uint Name;
        public byte Info, Other;
        public uint Section;
        public ulong Value, Size;
        public byte Binding => (byte)(Info >> 4);
        public byte Kind => (byte)(Info & 0xF);
        public bool IsUndefined => Section == Elf.ShnUndef;
        public bool IsLocal => Binding == Elf.StbLocal;
    }

    /// <summary>
    /// A validated view of an ELF64 little-endian relocatable object
    /// (ET_REL) for one architecture, over the caller's bytes; nothing is
    /// copied or allocated. <see cref="Parse"/> checks every header, size,
    /// offset, index and name before any other method may rely on it:
    /// 1. The ELF header: magic, class, byte order, version, type, machine,
    ///    header sizes; the section header table inside the object.
    /// 2. Every section header: file range inside the object (overflow-safe),
    ///    not over the ELF header or the section header table, alignment a
    ///    power of two, name inside the section-name string table.
    /// 3. Exactly one symbol table, its string table, its SHN_XINDEX table.
    /// 4. Every symbol: name inside the string table and NUL-terminated,
    ///    section index valid; a defined symbol lies inside its section.
    /// 5. Every RELA section: entry size, symbol table link, target section;
    ///    every entry's symbol index. (Offsets are checked when applied.)
    /// 6. Every group: size, flags, signature symbol, member indices.
    /// <see cref="CheckOverlaps"/> (step 7) needs scratch and is separate.
    /// Errors name the section (index and name), the byte offset of the
    /// faulty header or entry, and the symbol index.
    /// </summary>
    public ref struct ElfObject
    {
        public ReadOnlySpan<byte> Data;
        public PatchArch Arch;
        public int SectionCount;
        public int SectionNamesIndex;
        public int SymbolTableIndex;
        public int SymbolCount;
        private int _shoff;
        private int _symbolsOffset;
        private int _stringsOffset, _stringsSize;
        private int _xindexOffset; // 0 when the object has no SHT_SYMTAB_SHNDX
        private int _namesOffset, _namesSize;

        /// <summary>Largest accepted object: the linker works with 32-bit offsets.</summary>
        public const int MaxObjectBytes = 256 * 1024 * 1024;
        public const ulong MaxAlignment = 4096;

        public static bool Parse(ReadOnlySpan<byte> data, PatchArch arch, out ElfObject obj, scoped ref LinkError err)
        {
            obj = default;
            obj.Data = data;
            obj.Arch = arch;
            if (data.Length < Elf.HeaderSize)
            {
                err.Set(LinkErrorCode.BadHeader, "object is ");
                err.AppendDecimal(data.Length);
                err.Append(" bytes, shorter than an ELF64 header (64 bytes)");
                return false;
            }
            if (data.Length > MaxObjectBytes)
            {
                err.Set(LinkErrorCode.BadHeader, "object is larger than 256 MiB");
                return false;
            }
            if (data[0] != 0x7F || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
                return HeaderError(ref err, "no ELF magic at byte 0");
            if (data[4] != 2) return HeaderError(ref err, "EI_CLASS (byte 4) is not ELFCLASS64");
            if (data[5] != 1) return HeaderError(ref err, "EI_DATA (byte 5) is not little-endian");
            if (data[6] != 1) return HeaderError(ref err, "EI_VERSION (byte 6) is not 1");
            ushort type = Elf.U16(data, 16);
            if (type != Elf.TypeRelocatable)
            {
                err.Set(LinkErrorCode.BadHeader, "e_type (byte 16) is ");
                err.AppendDecimal(type);
                err.Append(", not ET_REL (1): a patch is a relocatable object");
                return false;
            }
            ushort machine = Elf.U16(data, 18);
            if (machine != (ushort)arch)
            {
                err.Set(LinkErrorCode.BadHeader, "e_machine (byte 18) is ");
                err.AppendDecimal(machine);
                err.Append(", this kernel links ");
                err.Append(arch == PatchArch.X64 ? "EM_X86_64 (62)" : "EM_AARCH64 (183)");
                return false;
            }
            if (Elf.U16(data, 58) != Elf.SectionHeaderSize) return HeaderError(ref err, "e_shentsize (byte 58) is not 64");
            ulong shoff = Elf.U64(data, 40);
            if (shoff < Elf.HeaderSize || shoff > (ulong)data.Length || (ulong)data.Length - shoff < Elf.SectionHeaderSize)
            {
                err.Set(LinkErrorCode.BadSection, "e_shoff (byte 40) ");
                err.AppendHex(shoff);
                err.Append(" does not leave room for a section header inside the object of ");
                err.AppendDecimal(data.Length);
                err.Append(" bytes");
                return false;
            }
            obj._shoff = (int)shoff;
            // Extended numbering: e_shnum 0 and e_shstrndx SHN_XINDEX move into section 0.
            ulong shnum = Elf.U16(data, 60);
            if (shnum == 0) shnum = Elf.U64(data, (int)shoff + 32);
            uint shstrndx = Elf.U16(data, 62);
            if (shstrndx == Elf.ShnXindex) shstrndx = Elf.U32(data, (int)shoff + 40);
            if (shnum < 2 || shnum > (ulong)(data.Length - (int)shoff) / Elf.SectionHeaderSize)
            {
                err.Set(LinkErrorCode.BadSection, "section count ");
                err.AppendDecimal((long)(shnum > int.MaxValue ? int.MaxValue : shnum));
                err.Append(" at e_shoff ");
                err.AppendHex(shoff);
                err.Append(" does not fit in the object of ");
                err.AppendDecimal(data.Length);
                err.Append(" bytes");
                return false;
            }
            obj.SectionCount = (int)shnum;
            if (shstrndx == 0 || shstrndx >= shnum)
            {
                err.Set(LinkErrorCode.BadSection, "e_shstrndx (byte 62) ");
                err.AppendDecimal(shstrndx);
                err.Append(" is not a section (");
                err.AppendDecimal((long)shnum);
                err.Append(" sections)");
                return false;
            }
            obj.SectionNamesIndex = (int)shstrndx;
            return obj.CheckSections(ref err) && obj.CheckSymbols(ref err) && obj.CheckRelocationSections(ref err) && obj.CheckGroups(ref err);
        }

        private static bool HeaderError(ref LinkError err, string what)
        {
            err.Set(LinkErrorCode.BadHeader, what);
            return false;
        }

        // ---- accessors (valid after Parse) ----

        public int SectionHeaderOffset(int index) => _shoff + index * Elf.SectionHeaderSize;

        public ElfSection Section(int index)
        {
            int at = SectionHeaderOffset(index);
            ElfSection s;
            s.Name = Elf.U32(Data, at);
            s.Type = Elf.U32(Data, at + 4);
            s.Flags = Elf.U64(Data, at + 8);
            s.Offset = Elf.U64(Data, at + 24);
            s.Size = Elf.U64(Data, at + 32);
            s.Link = Elf.U32(Data, at + 40);
            s.Info = Elf.U32(Data, at + 44);
            s.Align = Elf.U64(Data, at + 48);
            s.EntrySize = Elf.U64(Data, at + 56);
            return s;
        }

        /// <summary>The file bytes of a section (empty for SHT_NOBITS).</summary>
        public ReadOnlySpan<byte> SectionData(int index)
        {
            ElfSection s = Section(index);
            return s.HasFileData ? Data.Slice((int)s.Offset, (int)s.Size) : default;
        }

        public ReadOnlySpan<byte> SectionName(int index) => CString(_namesOffset, _namesSize, Section(index).Name);

        public ElfSymbol Symbol(int index)
        {
            int at = _symbolsOffset + index * Elf.SymbolSize;
            ElfSymbol s;
            s.Name = Elf.U32(Data, at);
            s.Info = Data[at + 4];
            s.Other = Data[at + 5];
            s.Section = Elf.U16(Data, at + 6);
            if (s.Section == Elf.ShnXindex && _xindexOffset != 0) s.Section = Elf.U32(Data, _xindexOffset + index * 4);
            s.Value = Elf.U64(Data, at + 8);
            s.Size = Elf.U64(Data, at + 16);
            return s;
        }

        public ReadOnlySpan<byte> SymbolName(int index) => CString(_stringsOffset, _stringsSize, Elf.U32(Data, _symbolsOffset + index * Elf.SymbolSize));

        /// <summary>A relocation entry: where (file offset of the entry), r_offset, symbol, type, addend.</summary>
        public void Relocation(int relaSection, int entry, out ulong offset, out int symbol, out uint type, out long addend)
        {
            int at = (int)Elf.U64(Data, SectionHeaderOffset(relaSection) + 24) + entry * Elf.RelaSize;
            offset = Elf.U64(Data, at);
            ulong info = Elf.U64(Data, at + 8);
            symbol = (int)(info >> 32);
            type = (uint)info;
            addend = (long)Elf.U64(Data, at + 16);
        }

        public int RelocationCount(int relaSection) => (int)(Section(relaSection).Size / Elf.RelaSize);

        /// <summary>The NUL-terminated string at <paramref name="at"/> of a string table (checked by Parse to end inside it).</summary>
        private ReadOnlySpan<byte> CString(int tableOffset, int tableSize, uint at)
        {
            if (at >= (uint)tableSize) return default;
            ReadOnlySpan<byte> t = Data.Slice(tableOffset + (int)at, tableSize - (int)at);
            int n = 0;
            while (n < t.Length && t[n] != 0) n++;
            return t.Slice(0, n);
        }

        // ---- checks ----

        private bool SectionError(ref LinkError err, int index, string what)
        {
            err.Set(LinkErrorCode.BadSection, "section ");
            AppendSection(ref err, index);
            err.Append(": ");
            err.Append(what);
            return false;
        }

        /// <summary>Appends "N 'name' (header at byte 0x...)"; the name only once the name table is known good.</summary>
        public void AppendSection(ref LinkError err, int index)
        {
            err.AppendDecimal(index);
            if (_namesSize > 0 && (uint)index < (uint)SectionCount)
            {
                err.Append(" '");
                err.Append(SectionName(index));
                err.Append("'");
            }
            err.Append(" (header at byte ");
            err.AppendHex((ulong)SectionHeaderOffset(index));
            err.Append(")");
        }

        public void AppendSymbol(ref LinkError err, int index)
        {
            err.Append("symbol ");
            err.AppendDecimal(index);
            err.Append(" '");
            err.Append(SymbolName(index));
            err.Append("'");
        }

        private bool CheckSections(ref LinkError err)
        {
            ulong length = (ulong)Data.Length;
            ulong tableEnd = (ulong)_shoff + (ulong)SectionCount * Elf.SectionHeaderSize;
            // The section-name table first, so later messages can name sections.
            ElfSection names = Section(SectionNamesIndex);
            if (names.Type != Elf.ShtStrtab) return SectionError(ref err, SectionNamesIndex, "the section-name table (e_shstrndx) is not SHT_STRTAB");
            if (!InFile(names.Offset, names.Size) || names.Size == 0 || Data[(int)(names.Offset + names.Size - 1)] != 0)
                return SectionError(ref err, SectionNamesIndex, "the section-name table lies outside the object or does not end with NUL");
            _namesOffset = (int)names.Offset;
            _namesSize = (int)names.Size;
            int symtabs = 0;
            for (int i = 1; i < SectionCount; i++)
            {
                ElfSection s = Section(i);
                if (s.Name >= (uint)_namesSize)
                {
                    err.Set(LinkErrorCode.BadString, "section ");
                    err.AppendDecimal(i);
                    err.Append(" (header at byte ");
                    err.AppendHex((ulong)SectionHeaderOffset(i));
                    err.Append("): name offset ");
                    err.AppendHex(s.Name);
                    err.Append(" is outside the section-name table (");
                    err.AppendDecimal(_namesSize);
                    err.Append(" bytes)");
                    return false;
                }
                if (s.Align != 0 && (s.Align & (s.Align - 1)) != 0) return SectionError(ref err, i, "alignment is not a power of two");
                if (s.Alloc && s.Align > MaxAlignment && s.Size != 0)
                {
                    err.Set(LinkErrorCode.Unsupported, "section ");
                    AppendSection(ref err, i);
                    err.Append(": alignment ");
                    err.AppendHex(s.Align);
                    err.Append(" is above the page size");
                    return false;
                }
                if (s.HasFileData)
                {
                    if (!InFile(s.Offset, s.Size))
                    {
                        SectionError(ref err, i, "file range [");
                        err.AppendHex(s.Offset);
                        err.Append(", +");
                        err.AppendHex(s.Size);
                        err.Append(") runs past the end of the object (");
                        err.AppendDecimal(Data.Length);
                        err.Append(" bytes)");
                        return false;
                    }
                    if (s.Size != 0 && (s.Offset < Elf.HeaderSize || (s.Offset < tableEnd && s.Offset + s.Size > (ulong)_shoff)))
                        return SectionError(ref err, i, "file range overlaps the ELF header or the section header table");
                }
                else if (s.Type == Elf.ShtNobits && s.Size > (ulong)MaxObjectBytes)
                    return SectionError(ref err, i, "SHT_NOBITS size is larger than 256 MiB");
                if ((s.Flags & Elf.ShfTls) != 0 && s.Alloc && s.Size != 0)
                {
                    err.Set(LinkErrorCode.Unsupported, "section ");
                    AppendSection(ref err, i);
                    err.Append(": thread-local data (SHF_TLS) is not supported in patches");
                    return false;
                }
                if (s.Type == Elf.ShtRel) return SectionError(ref err, i, "SHT_REL relocations (without addends) are not produced by ilc and not supported");
                if (s.Type == Elf.ShtSymtab) { symtabs++; SymbolTableIndex = i; }
            }
            if (symtabs != 1)
            {
                err.Set(LinkErrorCode.BadSymbol, "the object has ");
                err.AppendDecimal(symtabs);
                err.Append(" symbol tables (SHT_SYMTAB), not 1");
                return false;
            }
            ElfSection sym = Section(SymbolTableIndex);
            if (sym.EntrySize != Elf.SymbolSize || sym.Size % Elf.SymbolSize != 0 || sym.Size == 0)
                return SectionError(ref err, SymbolTableIndex, "symbol table entry size is not 24 or its size is not a multiple of it");
            if (sym.Link == 0 || sym.Link >= (uint)SectionCount || Section((int)sym.Link).Type != Elf.ShtStrtab)
                return SectionError(ref err, SymbolTableIndex, "sh_link of the symbol table is not a string table");
            ElfSection str = Section((int)sym.Link);
            if (str.Size == 0 || Data[(int)(str.Offset + str.Size - 1)] != 0)
                return SectionError(ref err, (int)sym.Link, "the symbol string table is empty or does not end with NUL");
            _symbolsOffset = (int)sym.Offset;
            SymbolCount = (int)(sym.Size / Elf.SymbolSize);
            _stringsOffset = (int)str.Offset;
            _stringsSize = (int)str.Size;
            for (int i = 1; i < SectionCount; i++)
            {
                ElfSection s = Section(i);
                if (s.Type != Elf.ShtSymtabShndx) continue;
                if (s.Link != (uint)SymbolTableIndex || s.Size < (ulong)SymbolCount * 4)
                    return SectionError(ref err, i, "SHT_SYMTAB_SHNDX does not link the symbol table or has fewer than one word per symbol");
                _xindexOffset = (int)s.Offset;
            }
            return true;
        }

        private bool InFile(ulong offset, ulong size) => offset <= (ulong)Data.Length && size <= (ulong)Data.Length - offset;

        private bool SymbolError(ref LinkError err, int index, string what)
        {
            err.Set(LinkErrorCode.BadSymbol, "symbol ");
            err.AppendDecimal(index);
            err.Append(" (entry at byte ");
            err.AppendHex((ulong)(_symbolsOffset + index * Elf.SymbolSize));
            err.Append(")");
            if (Elf.U32(Data, _symbolsOffset + index * Elf.SymbolSize) < (uint)_stringsSize)
            {
                err.Append(" '");
                err.Append(SymbolName(index));
                err.Append("'");
            }
            err.Append(": ");
            err.Append(what);
            return false;
        }

        private bool CheckSymbols(ref LinkError err)
        {
            for (int i = 1; i < SymbolCount; i++)
            {
                int at = _symbolsOffset + i * Elf.SymbolSize;
                uint name = Elf.U32(Data, at);
                if (name >= (uint)_stringsSize)
                {
                    SymbolError(ref err, i, "name offset ");
                    err.AppendHex(name);
                    err.Append(" is outside the string table");
                    err.Code = LinkErrorCode.BadString;
                    return false;
                }
                ElfSymbol s = Symbol(i);
                ushort raw = Elf.U16(Data, at + 6);
                if (raw == Elf.ShnXindex && _xindexOffset == 0) return SymbolError(ref err, i, "section index SHN_XINDEX without an SHT_SYMTAB_SHNDX table");
                if (s.Section == Elf.ShnCommon)
                {
                    SymbolError(ref err, i, "COMMON symbols are not supported");
                    err.Code = LinkErrorCode.Unsupported;
                    return false;
                }
                if (s.Kind == Elf.SttTls)
                {
                    SymbolError(ref err, i, "thread-local symbols are not supported");
                    err.Code = LinkErrorCode.Unsupported;
                    return false;
                }
                if (s.Section == Elf.ShnUndef || s.Section == Elf.ShnAbs) continue;
                if (raw >= Elf.ShnLoReserve && raw != Elf.ShnXindex)
                {
                    SymbolError(ref err, i, "reserved section index ");
                    err.AppendHex(raw);
                    return false;
                }
                if (s.Section >= (uint)SectionCount)
                {
                    SymbolError(ref err, i, "section index ");
                    err.AppendDecimal(s.Section);
                    err.Append(" is not a section (");
                    err.AppendDecimal(SectionCount);
                    err.Append(" sections)");
                    return false;
                }
                ElfSection home = Section((int)s.Section);
                // A symbol may sit at the end of its section (an end marker), not beyond.
                if (s.Kind != Elf.SttSection && home.Alloc && (s.Value > home.Size || s.Size > home.Size - s.Value))
                {
                    SymbolError(ref err, i, "value ");
                    err.AppendHex(s.Value);
                    err.Append(" + size ");
                    err.AppendHex(s.Size);
                    err.Append(" lies outside its section ");
                    AppendSection(ref err, (int)s.Section);
                    err.Append(" of ");
                    err.AppendHex(home.Size);
                    err.Append(" bytes");
                    return false;
                }
            }
            return true;
        }

        private bool CheckRelocationSections(ref LinkError err)
        {
            for (int i = 1; i < SectionCount; i++)
            {
                ElfSection s = Section(i);
                if (s.Type != Elf.ShtRela) continue;
                if (s.EntrySize != Elf.RelaSize || s.Size % Elf.RelaSize != 0)
                    return RelaError(ref err, i, "entry size is not 24 or the size is not a multiple of it");
                if (s.Link != (uint)SymbolTableIndex) return RelaError(ref err, i, "sh_link is not the symbol table");
                if (s.Info == 0 || s.Info >= (uint)SectionCount) return RelaError(ref err, i, "sh_info does not name a section");
                ElfSection target = Section((int)s.Info);
                if (target.Type == Elf.ShtRela || target.Type == Elf.ShtSymtab || target.Type == Elf.ShtStrtab || target.Type == Elf.ShtGroup || target.Type == Elf.ShtNobits)
                    return RelaError(ref err, i, "sh_info names a section that cannot be relocated");
                int count = RelocationCount(i);
                for (int e = 0; e < count; e++)
                {
                    ulong offset; int symbol; uint type; long addend;
                    Relocation(i, e, out offset, out symbol, out type, out addend);
                    if ((uint)symbol >= (uint)SymbolCount)
                    {
                        RelaError(ref err, i, "entry ");
                        err.AppendDecimal(e);
                        err.Append(" (at byte ");
                        err.AppendHex(s.Offset + (ulong)e * Elf.RelaSize);
                        err.Append(") names symbol ");
                        err.AppendDecimal(symbol);
                        err.Append(", beyond the ");
                        err.AppendDecimal(SymbolCount);
                        err.Append(" symbols");
                        return false;
                    }
                }
            }
            return true;
        }

        private bool RelaError(ref LinkError err, int index, string what)
        {
            err.Set(LinkErrorCode.BadRelocation, "relocation section ");
            AppendSection(ref err, index);
            err.Append(": ");
            err.Append(what);
            return false;
        }

        private bool CheckGroups(ref LinkError err)
        {
            for (int i = 1; i < SectionCount; i++)
            {
                ElfSection s = Section(i);
                if (s.Type != Elf.ShtGroup) continue;
                if (s.Size < 4 || s.Size % 4 != 0 || (s.EntrySize != 4 && s.EntrySize != 0)) return GroupError(ref err, i, "size is not a positive multiple of 4");
                if (s.Link != (uint)SymbolTableIndex) return GroupError(ref err, i, "sh_link is not the symbol table");
                if (s.Info == 0 || s.Info >= (uint)SymbolCount) return GroupError(ref err, i, "sh_info does not name a signature symbol");
                uint flags = Elf.U32(Data, (int)s.Offset);
                if ((flags & ~Elf.GroupComdat) != 0) return GroupError(ref err, i, "unknown group flags");
                for (int m = 1; m < (int)(s.Size / 4); m++)
                {
                    uint member = Elf.U32(Data, (int)s.Offset + m * 4);
                    if (member == 0 || member >= (uint)SectionCount || member == (uint)i || member == (uint)SymbolTableIndex)
                    {
                        GroupError(ref err, i, "member ");
                        err.AppendDecimal(m);
                        err.Append(" (at byte ");
                        err.AppendHex(s.Offset + (ulong)m * 4);
                        err.Append(") is section ");
                        err.AppendDecimal(member);
                        err.Append(", which cannot be a group member");
                        return false;
                    }
                }
            }
            return true;
        }

        private bool GroupError(ref LinkError err, int index, string what)
        {
            err.Set(LinkErrorCode.BadGroup, "group section ");
            AppendSection(ref err, index);
            err.Append(": ");
            err.Append(what);
            return false;
        }

        /// <summary>
        /// Step 7: no two sections' file ranges overlap. <paramref name="scratch"/>
        /// holds at least <see cref="SectionCount"/> ints; sorted in place (heap
        /// sort: no recursion, O(n log n)).
        /// </summary>
        public bool CheckOverlaps(Span<int> scratch, ref LinkError err)
        {
            if (scratch.Length < SectionCount)
            {
                err.Set(LinkErrorCode.BufferTooSmall, "overlap check needs one int per section");
                return false;
            }
            int n = 0;
            for (int i = 1; i < SectionCount; i++)
            {
                ElfSection s = Section(i);
                if (s.HasFileData && s.Size != 0) scratch[n++] = i;
            }
            Span<int> order = scratch.Slice(0, n);
            for (int start = n / 2 - 1; start >= 0; start--) SiftDown(order, start, n);
            for (int end = n - 1; end > 0; end--)
            {
                int t = order[0]; order[0] = order[end]; order[end] = t;
                SiftDown(order, 0, end);
            }
            for (int k = 1; k < n; k++)
            {
                ElfSection a = Section(order[k - 1]), b = Section(order[k]);
                if (a.Offset + a.Size > b.Offset)
                {
                    SectionError(ref err, order[k], "file range overlaps section ");
                    AppendSection(ref err, order[k - 1]);
                    return false;
                }
            }
            return true;
        }

        /// <summary>sh_offset alone (the sort key), without decoding the whole header.</summary>
        private ulong SectionOffset(int index) => Elf.U64(Data, SectionHeaderOffset(index) + 24);

        private void SiftDown(Span<int> a, int root, int count)
        {
            while (true)
            {
                int child = 2 * root + 1;
                if (child >= count) return;
                if (child + 1 < count && SectionOffset(a[child + 1]) > SectionOffset(a[child])) child++;
                if (SectionOffset(a[root]) >= SectionOffset(a[child])) return;
                int t = a[root]; a[root] = a[child]; a[child] = t;
                root = child;
            }
        }
    }
}
