namespace Molt.Boot
{
    /// <summary>What a boot path needs from a device tree, in one place for every arch that boots with one.</summary>
    public enum DeviceTreeParts
    {
        /// <summary>Only the serial console (the loader supplied memory map and command line).</summary>
        ConsoleOnly = 0,
        /// <summary>Also the memory map (/memory, /memreserve/, /reserved-memory) and /chosen (command line, initrd).</summary>
        Everything = 1,
    }

    /// <summary>
    /// Fills a <see cref="BootInfo"/> from a validated <see cref="DeviceTree"/>:
    /// <list type="number">
    /// <item>Every node with device_type "memory": each "reg" range is usable RAM.</item>
    /// <item>/memreserve/ entries and /reserved-memory children are carved out as reserved.</item>
    /// <item>/chosen: "bootargs" is the command line; an initrd (linux,initrd-start/-end) is kept.</item>
    /// <item>The blob itself is carved out (bootloader-reclaimable: still direct-mapped, never handed out).</item>
    /// <item>The serial console: /chosen "stdout-path" if it names a PL011, else the first enabled PL011.
    ///       Its address is returned; the arch records the UART it ends up using as an
    ///       <see cref="MemoryKind.Mmio"/> region, so the kernel's page tables map it.</item>
    /// </list>
    /// The kernel image is not in the tree; the caller carves it out with <see cref="BootInfo.MarkKernel"/>.
    /// </summary>
    public static unsafe class DeviceTreeBoot
    {
        public const string Pl011 = "arm,pl011";

        /// <summary>Fills <paramref name="info"/>; returns the physical address of the console PL011 the tree names, or 0.</summary>
        public static ulong Fill(ref DeviceTree tree, ulong blobPhysical, BootInfo* info, DeviceTreeParts parts)
        {
            info->DeviceTree = blobPhysical;
            if (parts == DeviceTreeParts.Everything)
            {
                ReadMemory(ref tree, info);
                ReadChosen(ref tree, info);
                info->Carve(blobPhysical, blobPhysical + tree.TotalSize, MemoryKind.BootloaderReclaimable);
            }
            return ReadConsole(ref tree, info);
        }

        private static void ReadMemory(ref DeviceTree tree, BootInfo* info)
        {
            int node = -1, depth = 0;
            while (tree.NextNode(ref node, ref depth))
            {
                if (depth != 1) continue;
                int n;
                byte* type = tree.GetString(node, "device_type", out n);
                bool memory = type != null && n == 6 && type[0] == 'm' && type[1] == 'e' && type[2] == 'm' && type[3] == 'o' && type[4] == 'r' && type[5] == 'y';
                if (!memory || !tree.IsEnabled(node)) continue;
                ulong address, size;
                for (int i = 0; tree.ReadReg(node, i, out address, out size); i++)
                    info->AddRegion(address, size, MemoryKind.Usable);
            }
            ulong ra, rs;
            for (int i = 0; tree.GetReservation(i, out ra, out rs); i++)
                info->Carve(ra, ra + rs, MemoryKind.Reserved);
            // Children of /reserved-memory (one level below it) are reserved too.
            int reserved = tree.FindNode("/reserved-memory");
            if (reserved < 0) return;
            int baseDepth = Depth(ref tree, reserved);
            int walk = reserved, d = baseDepth;
            while (tree.NextNode(ref walk, ref d) && d > baseDepth)
            {
                if (d != baseDepth + 1) continue;
                ulong address, size;
                for (int i = 0; tree.ReadReg(walk, i, out address, out size); i++)
                    info->Carve(address, address + size, MemoryKind.Reserved);
            }
        }

        private static int Depth(ref DeviceTree tree, int node)
        {
            int depth = 0;
            for (int p = tree.Parent(node); p >= 0; p = tree.Parent(p)) depth++;
            return depth;
        }

        private static void ReadChosen(ref DeviceTree tree, BootInfo* info)
        {
            int chosen = tree.FindNode("/chosen");
            int n;
            byte* args = chosen >= 0 ? tree.GetString(chosen, "bootargs", out n) : null;
            info->SetCommandLine(args);
            byte* v; int len;
            ulong start = 0, end = 0;
            if (tree.GetProperty(chosen, "linux,initrd-start", out v, out len)) start = len == 8 ? DeviceTree.ReadBE64(v) : len == 4 ? DeviceTree.ReadBE32(v) : 0;
            if (tree.GetProperty(chosen, "linux,initrd-end", out v, out len)) end = len == 8 ? DeviceTree.ReadBE64(v) : len == 4 ? DeviceTree.ReadBE32(v) : 0;
            if (end > start) info->SetModule(start, end - start);
        }

        private static ulong ReadConsole(ref DeviceTree tree, BootInfo* info)
        {
            int uart = StdoutNode(ref tree);
            if (uart < 0 || !tree.IsCompatible(uart, Pl011)) uart = tree.FindCompatible(Pl011);
            ulong address, size;
            if (uart < 0 || !tree.ReadReg(uart, 0, out address, out size)) return 0;
            return address;
        }

        /// <summary>The node /chosen "stdout-path" names (a path or an alias, options after ':' ignored), or -1.</summary>
        private static int StdoutNode(ref DeviceTree tree)
        {
            int chosen = tree.FindNode("/chosen");
            int n;
            byte* path = tree.GetString(chosen, "stdout-path", out n);
            if (path == null) return -1;
            int stop = 0;
            while (stop < n && path[stop] != ':') stop++;
            if (path[0] != '/')
            {
                // An alias: look it up in /aliases.
                int aliases = tree.FindNode("/aliases");
                if (aliases < 0) return -1;
                string name = string.FromAscii(path, stop);
                int an;
                byte* target = tree.GetString(aliases, name, out an);
                Memory.Heap.Free(name);
                if (target == null) return -1;
                path = target; stop = an;
            }
            string p = string.FromAscii(path, stop);
            int node = tree.FindNode(p);
            Memory.Heap.Free(p);
            return node;
        }
    }
}
