using System;

namespace Molt.Update.Linker
{
    /// <summary>Where a section goes: text (read+execute), rodata (read-only), data (read+write, never executable; .bss at its end), or nowhere.</summary>
    public enum Region : byte { None = 0, Text = 1, Rodata = 2, Data = 3 }

    /// <summary>Per section of the object: its region and offset there, or why it is not loaded.</summary>
    public struct SectionPlan
    {
        public Region Region;
        /// <summary>Member of a COMDAT group whose signature the kernel or an earlier patch defines.</summary>
        public bool DroppedGroup;
        public uint Offset;
    }

    /// <summary>Per symbol: referenced by a loaded relocation, and its resolved address.</summary>
    public struct SymbolSlot
    {
        public ulong Address;
        public byte State; // 0 not referenced, 1 referenced, 2 resolved
    }

    /// <summary>The plan's totals and findings.</summary>
    public struct LinkLayout
    {
        public ulong TextSize, RodataSize, DataSize;
        /// <summary>arm64: 16-byte veneer slots at the end of text, one per branch to a symbol outside the patch.</summary>
        public uint VeneerOffset;
        public int VeneerCapacity, VeneersUsed;
        /// <summary>The <c>__modules</c> section (one pointer to the ReadyToRun header) and that header's symbol.</summary>
        public int ModulesSection, HeaderSymbol, PrefixLength;
        public int SectionsLoaded, GroupsKept, GroupsDropped, Relocations;
    }

    /// <summary>The memory the image is written to, and the addresses it will run at (the same in the kernel; a buffer on the host).</summary>
    public ref struct LinkTarget
    {
        public Span<byte> Text, Rodata, Data;
        public ulong TextBase, RodataBase, DataBase;
    }

    /// <summary>
    /// The pure part of the runtime linker: plan, resolve, copy, relocate,
    /// over a parsed <see cref="ElfObject"/>, writing only into the spans it
    /// is given. Used by the kernel's <c>PatchLoader</c> and by the host
    /// tests and fuzzer. Steps, in order:
    /// 1. <see cref="Plan"/>: find the module (<c>__modules</c>, whose one
    ///    relocation names <c>&lt;module&gt;__ReadyToRunHeader</c>: that gives
    ///    the module prefix); drop every COMDAT group whose signature is
    ///    defined outside (kernel, then earlier patches) unless the name is
    ///    module-private; place the remaining allocated sections (minus
    ///    <c>.eh_frame</c>, <c>.dotnet_eh_table</c>, debug) in three regions,
    ///    each section at its alignment; reserve arm64 veneer slots.
    /// 2. <see cref="Resolve"/>: every symbol a loaded relocation names gets
    ///    an address: its own section's when defined in a loaded section,
    ///    else the outside definition; all unresolved names are reported together.
    /// 3. <see cref="Copy"/>: zero the regions, copy section bytes.
    /// 4. <see cref="Relocate"/>: apply every relocation of every loaded
    ///    section; a branch26 out of range goes through a veneer; any other
    ///    overflow, misalignment or unknown type is refused, named.
    /// </summary>
    public static class PatchLinker
    {
        public const ulong MaxRegionBytes = 64UL * 1024 * 1024;
        public const int MaxNamedUndefined = 16;

        public static bool Plan<R>(ref ElfObject obj, ref R resolver, Span<SectionPlan> sections, out LinkLayout layout, ref LinkError err) where R : struct, ISymbolResolver
        {
            layout = default;
            if (sections.Length < obj.SectionCount)
            {
                err.Set(LinkErrorCode.BufferTooSmall, "plan needs one entry per section");
                return false;
            }
            for (int i = 0; i < obj.SectionCount; i++) sections[i] = default;
            if (!FindModule(ref obj, ref layout, ref err)) return false;
            ReadOnlySpan<byte> prefix = obj.SymbolName(layout.HeaderSymbol).Slice(0, layout.PrefixLength);

            // COMDAT groups: the first definition wins, and the kernel and earlier patches come first.
            for (int g = 1; g < obj.SectionCount; g++)
            {
                ElfSection gs = obj.Section(g);
                if (gs.Type != Elf.ShtGroup) continue;
                ReadOnlySpan<byte> words = obj.SectionData(g);
                bool comdat = (Elf.U32(words, 0) & Elf.GroupComdat) != 0;
                int signature = (int)gs.Info;
                ElfSymbol sig = obj.Symbol(signature);
                ReadOnlySpan<byte> name = obj.SymbolName(signature);
                ulong ignored;
                bool drop = comdat && !sig.IsLocal && name.Length > 0 && !SymbolPolicy.IsModulePrivate(name, prefix)
                            && resolver.TryResolve(name, out ignored);
                if (!drop) { layout.GroupsKept++; continue; }
                layout.GroupsDropped++;
                for (int m = 4; m < words.Length; m += 4) sections[(int)Elf.U32(words, m)].DroppedGroup = true;
            }

            // Placement.
            ulong text = 0, rodata = 0, data = 0;
            for (int pass = 0; pass < 2; pass++) // data first, then .bss after it
            {
                for (int i = 1; i < obj.SectionCount; i++)
                {
                    ElfSection s = obj.Section(i);
                    if (!IsLoaded(ref obj, i, s, sections[i])) continue;
                    bool nobits = s.Type == Elf.ShtNobits;
                    Region r = (s.Flags & Elf.ShfExecInstr) != 0 ? Region.Text : (s.Flags & Elf.ShfWrite) != 0 ? Region.Data : Region.Rodata;
                    if ((pass == 0) == (r == Region.Data && nobits)) continue;
                    ulong align = s.Align == 0 ? 1 : s.Align;
                    ref ulong cursor = ref r == Region.Text ? ref text : ref r == Region.Rodata ? ref rodata : ref data;
                    ulong at = (cursor + align - 1) & ~(align - 1);
                    if (at + s.Size > MaxRegionBytes || s.Size > MaxRegionBytes)
                    {
                        err.Set(LinkErrorCode.Unsupported, "section ");
                        obj.AppendSection(ref err, i);
                        err.Append(": the patch's regions would exceed 64 MiB");
                        return false;
                    }
                    sections[i].Region = r;
                    sections[i].Offset = (uint)at;
                    cursor = at + s.Size;
                    layout.SectionsLoaded++;
                }
            }

            // arm64: a veneer slot per branch26 to a symbol that may land outside the patch.
            int veneers = 0;
            if (obj.Arch == PatchArch.Arm64)
            {
                for (int rs = 1; rs < obj.SectionCount; rs++)
                {
                    ElfSection s = obj.Section(rs);
                    if (s.Type != Elf.ShtRela || sections[(int)s.Info].Region == Region.None) continue;
                    int count = obj.RelocationCount(rs);
                    for (int e = 0; e < count; e++)
                    {
                        ulong offset; int symbol; uint type; long addend;
                        obj.Relocation(rs, e, out offset, out symbol, out type, out addend);
                        if (!RelocationMath.IsBranch26(obj.Arch, type)) continue;
                        ElfSymbol sym = obj.Symbol(symbol);
                        if (sym.IsUndefined || sym.Section >= (uint)obj.SectionCount || sections[(int)sym.Section].Region == Region.None) veneers++;
                    }
                }
            }
            text = (text + 15) & ~15UL;
            layout.VeneerOffset = (uint)text;
            layout.VeneerCapacity = veneers;
            text += (ulong)veneers * RelocationMath.VeneerSize;
            layout.TextSize = text;
            layout.RodataSize = rodata;
            layout.DataSize = data;
            return true;
        }

        /// <summary>Sections that are mapped: allocated, not dropped with a group, not unwind/EH tables or debug data.</summary>
        private static bool IsLoaded(ref ElfObject obj, int index, ElfSection s, SectionPlan plan)
        {
            if (!s.Alloc || plan.DroppedGroup) return false;
            if (s.Type != Elf.ShtProgbits && s.Type != Elf.ShtNobits) return false; // groups, tables, unwind (X86_64_UNWIND)
            ReadOnlySpan<byte> name = obj.SectionName(index);
            if (SymbolPolicy.Equal(name, ".eh_frame") || SymbolPolicy.Equal(name, ".dotnet_eh_table") || SymbolPolicy.StartsWith(name, ".debug")) return false;
            return true;
        }

        /// <summary>The one <c>__modules</c> section: 8 bytes, one 64-bit relocation naming <c>&lt;module&gt;__ReadyToRunHeader</c>.</summary>
        private static bool FindModule(ref ElfObject obj, ref LinkLayout layout, ref LinkError err)
        {
            int modules = 0;
            for (int i = 1; i < obj.SectionCount; i++)
            {
                if (!SymbolPolicy.Equal(obj.SectionName(i), "__modules")) continue;
                if (modules != 0)
                {
                    err.Set(LinkErrorCode.BadModule, "a second __modules section: ");
                    obj.AppendSection(ref err, i);
                    return false;
                }
                modules = i;
            }
            if (modules == 0)
            {
                err.Set(LinkErrorCode.BadModule, "no __modules section: not an ilc module");
                return false;
            }
            ElfSection m = obj.Section(modules);
            if (m.Size != 8 || !m.Alloc || m.Type != Elf.ShtProgbits)
            {
                err.Set(LinkErrorCode.BadModule, "section ");
                obj.AppendSection(ref err, modules);
                err.Append(" is not one allocated 8-byte pointer");
                return false;
            }
            uint abs64 = obj.Arch == PatchArch.X64 ? Elf.R_X86_64_64 : Elf.R_AARCH64_ABS64;
            for (int rs = 1; rs < obj.SectionCount; rs++)
            {
                ElfSection s = obj.Section(rs);
                if (s.Type != Elf.ShtRela || s.Info != (uint)modules || obj.RelocationCount(rs) != 1) continue;
                ulong offset; int symbol; uint type; long addend;
                obj.Relocation(rs, 0, out offset, out symbol, out type, out addend);
                ReadOnlySpan<byte> name = obj.SymbolName(symbol);
                if (offset != 0 || type != abs64 || addend != 0 || !SymbolPolicy.EndsWith(name, SymbolPolicy.ReadyToRunHeaderSuffix)
                    || name.Length == SymbolPolicy.ReadyToRunHeaderSuffix.Length)
                    break;
                layout.ModulesSection = modules;
                layout.HeaderSymbol = symbol;
                layout.PrefixLength = name.Length - SymbolPolicy.ReadyToRunHeaderSuffix.Length;
                return true;
            }
            err.Set(LinkErrorCode.BadModule, "section ");
            obj.AppendSection(ref err, modules);
            err.Append(" is not relocated by exactly one 64-bit pointer to a <module>__ReadyToRunHeader symbol");
            return false;
        }

        /// <summary>The module prefix (the patch's assembly name), from the ReadyToRun header's symbol.</summary>
        public static ReadOnlySpan<byte> ModulePrefix(ref ElfObject obj, in LinkLayout layout) => obj.SymbolName(layout.HeaderSymbol).Slice(0, layout.PrefixLength);

        public static ulong SectionAddress(in LinkTarget target, SectionPlan plan)
        {
            ulong b = plan.Region == Region.Text ? target.TextBase : plan.Region == Region.Rodata ? target.RodataBase : target.DataBase;
            return b + plan.Offset;
        }

        private static Span<byte> RegionSpan(in LinkTarget target, Region r) => r == Region.Text ? target.Text : r == Region.Rodata ? target.Rodata : target.Data;

        public static bool Resolve<R>(ref ElfObject obj, Span<SectionPlan> sections, in LinkLayout layout, in LinkTarget target, ref R resolver, Span<SymbolSlot> symbols, ref LinkError err) where R : struct, ISymbolResolver
        {
            if (symbols.Length < obj.SymbolCount)
            {
                err.Set(LinkErrorCode.BufferTooSmall, "resolution needs one slot per symbol");
                return false;
            }
            for (int i = 0; i < obj.SymbolCount; i++) symbols[i] = default;
            for (int rs = 1; rs < obj.SectionCount; rs++)
            {
                ElfSection s = obj.Section(rs);
                if (s.Type != Elf.ShtRela || sections[(int)s.Info].Region == Region.None) continue;
                int count = obj.RelocationCount(rs);
                for (int e = 0; e < count; e++)
                {
                    ulong offset; int symbol; uint type; long addend;
                    obj.Relocation(rs, e, out offset, out symbol, out type, out addend);
                    symbols[symbol].State = 1;
                }
            }
            int missing = 0;
            for (int i = 1; i < obj.SymbolCount; i++)
            {
                if (symbols[i].State == 0) continue;
                ElfSymbol sym = obj.Symbol(i);
                ulong address = 0;
                if (sym.Section == Elf.ShnAbs) address = sym.Value;
                else if (!sym.IsUndefined && sections[(int)sym.Section].Region != Region.None)
                    address = SectionAddress(target, sections[(int)sym.Section]) + (sym.Kind == Elf.SttSection ? 0 : sym.Value);
                else if (!sym.IsUndefined && (sym.IsLocal || sym.Kind == Elf.SttSection || obj.SymbolName(i).Length == 0 || !resolver.TryResolve(obj.SymbolName(i), out address)))
                {
                    err.Set(LinkErrorCode.SymbolNotLoaded, "");
                    obj.AppendSymbol(ref err, i);
                    err.Append(" is defined in section ");
                    obj.AppendSection(ref err, (int)sym.Section);
                    err.Append(sections[(int)sym.Section].DroppedGroup ? ", a dropped COMDAT group," : ", which is not loaded,");
                    err.Append(" and nowhere else, but a loaded relocation uses it");
                    return false;
                }
                else if (sym.IsUndefined && !resolver.TryResolve(obj.SymbolName(i), out address))
                {
                    if (sym.Binding == Elf.StbWeak) address = 0;
                    else
                    {
                        if (missing == 0) err.Set(LinkErrorCode.UndefinedSymbols, "undefined symbols (in neither the kernel nor a loaded patch): ");
                        if (missing < MaxNamedUndefined)
                        {
                            if (missing > 0) err.Append(", ");
                            err.Append(obj.SymbolName(i));
                        }
                        missing++;
                        continue;
                    }
                }
                symbols[i].Address = address;
                symbols[i].State = 2;
            }
            if (missing > 0)
            {
                if (missing > MaxNamedUndefined)
                {
                    err.Append(" and ");
                    err.AppendDecimal(missing - MaxNamedUndefined);
                    err.Append(" more");
                }
                err.Append(" (");
                err.AppendDecimal(missing);
                err.Append(" in all)");
                return false;
            }
            return true;
        }

        public static bool Copy(ref ElfObject obj, Span<SectionPlan> sections, in LinkLayout layout, in LinkTarget target, ref LinkError err)
        {
            if ((ulong)target.Text.Length < layout.TextSize || (ulong)target.Rodata.Length < layout.RodataSize || (ulong)target.Data.Length < layout.DataSize)
            {
                err.Set(LinkErrorCode.BufferTooSmall, "target regions are smaller than the plan");
                return false;
            }
            target.Text.Slice(0, (int)layout.TextSize).Clear();
            target.Rodata.Slice(0, (int)layout.RodataSize).Clear();
            target.Data.Slice(0, (int)layout.DataSize).Clear();
            for (int i = 1; i < obj.SectionCount; i++)
            {
                if (sections[i].Region == Region.None) continue;
                ReadOnlySpan<byte> bytes = obj.SectionData(i);
                bytes.CopyTo(RegionSpan(target, sections[i].Region).Slice((int)sections[i].Offset, bytes.Length));
            }
            return true;
        }

        public static bool Relocate(ref ElfObject obj, Span<SectionPlan> sections, ref LinkLayout layout, in LinkTarget target, Span<SymbolSlot> symbols, ref LinkError err)
        {
            for (int rs = 1; rs < obj.SectionCount; rs++)
            {
                ElfSection s = obj.Section(rs);
                if (s.Type != Elf.ShtRela) continue;
                int home = (int)s.Info;
                SectionPlan plan = sections[home];
                if (plan.Region == Region.None) continue;
                ulong homeSize = obj.Section(home).Size;
                ulong homeAddress = SectionAddress(target, plan);
                Span<byte> region = RegionSpan(target, plan.Region);
                int count = obj.RelocationCount(rs);
                for (int e = 0; e < count; e++)
                {
                    ulong offset; int symbol; uint type; long addend;
                    obj.Relocation(rs, e, out offset, out symbol, out type, out addend);
                    int width = RelocationMath.Width(obj.Arch, type);
                    if (width < 0)
                    {
                        RelocationError(ref obj, ref err, LinkErrorCode.UnsupportedRelocation, rs, e, home, offset, symbol, type, "unsupported relocation type ");
                        return false;
                    }
                    if (offset > homeSize || (ulong)width > homeSize - offset)
                    {
                        RelocationError(ref obj, ref err, LinkErrorCode.BadRelocation, rs, e, home, offset, symbol, type, "field outside its section: ");
                        err.Append("; the section has ");
                        err.AppendHex(homeSize);
                        err.Append(" bytes");
                        return false;
                    }
                    layout.Relocations++;
                    if (width == 0) continue;
                    Span<byte> field = region.Slice((int)(plan.Offset + offset), width);
                    ulong p = homeAddress + offset;
                    ulong sv = symbol == 0 ? 0 : symbols[symbol].Address;
                    long value;
                    RelocationStatus st = RelocationMath.Apply(obj.Arch, type, field, sv, addend, p, out value);
                    if (st == RelocationStatus.Overflow && RelocationMath.IsBranch26(obj.Arch, type) && layout.VeneersUsed < layout.VeneerCapacity)
                    {
                        uint at = layout.VeneerOffset + (uint)(layout.VeneersUsed++ * RelocationMath.VeneerSize);
                        RelocationMath.WriteVeneer(target.Text.Slice((int)at, RelocationMath.VeneerSize), sv + (ulong)addend);
                        st = RelocationMath.Apply(obj.Arch, type, field, target.TextBase + at, 0, p, out value);
                    }
                    if (st == RelocationStatus.Ok) continue;
                    LinkErrorCode code = st == RelocationStatus.Unsupported ? LinkErrorCode.UnsupportedRelocation : LinkErrorCode.RelocationOverflow;
                    RelocationError(ref obj, ref err, code, rs, e, home, offset, symbol, type,
                        st == RelocationStatus.Overflow ? "value out of range for " : st == RelocationStatus.Misaligned ? "misaligned value for " : "unsupported relocation type ");
                    err.Append("; value ");
                    err.AppendHex((ulong)value);
                    err.Append(" (P ");
                    err.AppendHex(p);
                    err.Append(", S ");
                    err.AppendHex(sv);
                    err.Append(", A ");
                    err.AppendDecimal(addend);
                    err.Append(")");
                    return false;
                }
            }
            return true;
        }

        private static void RelocationError(ref ElfObject obj, ref LinkError err, LinkErrorCode code, int rs, int entry, int home, ulong offset, int symbol, uint type, string what)
        {
            err.Set(code, what);
            err.AppendDecimal(type);
            err.Append(" (");
            err.Append(Elf.RelocationName(obj.Arch, type));
            err.Append(") in section ");
            obj.AppendSection(ref err, home);
            err.Append(" at offset ");
            err.AppendHex(offset);
            err.Append(", entry ");
            err.AppendDecimal(entry);
            err.Append(" of ");
            obj.AppendSection(ref err, rs);
            if (symbol != 0)
            {
                err.Append(", ");
                obj.AppendSymbol(ref err, symbol);
            }
        }

        /// <summary>Whether symbol <paramref name="index"/> is one the patch exports to later patches.</summary>
        public static bool IsExport(ref ElfObject obj, Span<SectionPlan> sections, in LinkLayout layout, int index)
        {
            ElfSymbol s = obj.Symbol(index);
            if (s.IsLocal || s.IsUndefined || s.Section == Elf.ShnAbs || s.Section >= (uint)obj.SectionCount) return false;
            if (s.Kind == Elf.SttSection || s.Kind == Elf.SttFile) return false;
            if (sections[(int)s.Section].Region == Region.None) return false;
            ReadOnlySpan<byte> name = obj.SymbolName(index);
            return name.Length > 0 && !SymbolPolicy.IsModulePrivate(name, ModulePrefix(ref obj, layout));
        }

        /// <summary>Steps 1-4 in one call, for the host tests and fuzzer (the kernel runs them with memory mapping in between).</summary>
        public static bool Link<R>(ReadOnlySpan<byte> elf, PatchArch arch, ref R resolver, Span<SectionPlan> sections, Span<SymbolSlot> symbols, Span<int> scratch,
                                   ref LinkTarget target, out LinkLayout layout, ref LinkError err) where R : struct, ISymbolResolver
        {
            layout = default;
            ElfObject obj;
            if (!ElfObject.Parse(elf, arch, out obj, ref err)) return false;
            if (!obj.CheckOverlaps(scratch, ref err)) return false;
            if (!Plan(ref obj, ref resolver, sections, out layout, ref err)) return false;
            if (!Resolve(ref obj, sections, layout, target, ref resolver, symbols, ref err)) return false;
            if (!Copy(ref obj, sections, layout, target, ref err)) return false;
            return Relocate(ref obj, sections, ref layout, target, symbols, ref err);
        }
    }
}
