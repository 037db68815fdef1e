using Molt.Acpi;
using Molt.Boot;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>
    /// The arch-neutral firmware parsers that hand the HALs plain facts
    /// (kernel/Firmware): the x86 MADT (<see cref="ApicTables"/>), the MCFG
    /// (<see cref="PciTables"/>) and an Arm machine's device tree
    /// (<see cref="ArmMachineTree"/>), each on fixtures built here, so they
    /// run on both arches. Tables are opened quiet: refusals are not logged.
    /// </summary>
    internal static unsafe class FirmwareFactsTests
    {
        public static void Register()
        {
            TestRunner.Add("firmware.madt.qemu_q35", &MadtQemu);
            TestRunner.Add("firmware.madt.variants", &MadtVariants);
            TestRunner.Add("firmware.madt.malformed_and_defaults", &MadtMalformed);
            TestRunner.Add("firmware.mcfg.windows", &McfgWindows);
            TestRunner.Add("firmware.dt.arm_machine_gicv3", &TreeGicV3);
            TestRunner.Add("firmware.dt.arm_machine_gicv2_psci01", &TreeGicV2);
        }

        // ---- x86 MADT ----

        /// <summary>Writes MADT entries after the 44-byte header; returns the next offset.</summary>
        private static int LocalApic(byte* t, int at, byte uid, byte apicId, uint flags)
        {
            t[at] = ApicTables.LocalApicType; t[at + 1] = 8; t[at + 2] = uid; t[at + 3] = apicId; *(uint*)(t + at + 4) = flags;
            return at + 8;
        }

        private static int X2Apic(byte* t, int at, uint apicId, uint flags)
        {
            t[at] = ApicTables.LocalX2ApicType; t[at + 1] = 16; *(uint*)(t + at + 4) = apicId; *(uint*)(t + at + 8) = flags; *(uint*)(t + at + 12) = apicId;
            return at + 16;
        }

        private static int IoApic(byte* t, int at, byte id, uint address, uint gsiBase)
        {
            t[at] = ApicTables.IoApicType; t[at + 1] = 12; t[at + 2] = id; *(uint*)(t + at + 4) = address; *(uint*)(t + at + 8) = gsiBase;
            return at + 12;
        }

        private static int Override(byte* t, int at, byte source, uint gsi, ushort flags)
        {
            t[at] = ApicTables.OverrideType; t[at + 1] = 10; t[at + 3] = source; *(uint*)(t + at + 4) = gsi; *(ushort*)(t + at + 8) = flags;
            return at + 10;
        }

        private static int Nmi(byte* t, int at)
        {
            t[at] = 4; t[at + 1] = 6; t[at + 2] = 0xFF; t[at + 5] = 1;
            return at + 6;
        }

        /// <summary>A MADT header in slot 0 with the local APIC at 0xFEE00000; write entries from 44, then <see cref="Close"/>.</summary>
        private static byte* Madt(AcpiTests.Area a)
        {
            byte* t = AcpiTests.Table(a, 0, "APIC", 44, 3);
            *(uint*)(t + 36) = 0xFEE00000;
            *(uint*)(t + 40) = 1; // PC-AT compatible
            return t;
        }

        private static bool Close(TestContext t, AcpiTests.Area a, byte* table, int length, ApicFacts* facts)
        {
            *(uint*)(table + 4) = (uint)length;
            AcpiTests.Seal(table);
            AcpiTests.Roots(a, 1);
            AcpiTables tables;
            string error = AcpiTests.Open(a, out tables);
            if (!t.True(error == null, error ?? "")) return false;
            ApicTables.ReadMadt(ref tables, facts);
            return true;
        }

        /// <summary>What QEMU's q35 machine builds with -smp 4: four local APICs, one I/O APIC, five overrides, one NMI.</summary>
        private static void MadtQemu(TestContext t)
        {
            AcpiTests.Area a;
            if (!AcpiTests.Allocate(t, out a)) return;
            byte* m = Madt(a);
            int at = 44;
            for (byte i = 0; i < 4; i++) at = LocalApic(m, at, i, i, 1);
            at = IoApic(m, at, 0, 0xFEC00000, 0);
            at = Override(m, at, 0, 2, 0);
            at = Override(m, at, 5, 5, 0xD);
            at = Override(m, at, 9, 9, 0xD);
            at = Override(m, at, 10, 10, 0xD);
            at = Override(m, at, 11, 11, 0xD);
            at = Nmi(m, at);
            var f = new ApicFacts();
            if (Close(t, a, m, at, &f))
            {
                t.True(f.HasMadt, "a MADT");
                t.Equal(0xFEE00000UL, f.LocalApicAddress, "local APIC address");
                t.Equal(4, f.CpuCount, "four CPUs");
                for (int i = 0; i < 4; i++) t.Equal((long)i, f.ApicId(i), "APIC ids in order");
                t.Equal(1, f.IoApicCount, "one I/O APIC");
                t.Equal(0xFEC00000UL, f.IoApicAddress(0), "I/O APIC address");
                t.Equal(0L, f.IoApicGsiBase(0), "GSI base");
                t.Equal(5, f.OverrideCount, "five overrides");
                ushort flags;
                t.Equal(2L, f.IsaIrqToGsi(0, out flags), "the timer IRQ 0 arrives on GSI 2");
                t.Equal(9L, f.IsaIrqToGsi(9, out flags), "SCI on 9");
                t.Equal(0xDL, flags, "level, active low");
                t.Equal(4L, f.IsaIrqToGsi(4, out flags), "IRQ 4: identity");
                t.Equal(0L, flags, "no flags");
                f.ApplyDefaults(2);
                t.Equal(2L, f.ApicId(0), "the boot CPU first");
                t.Equal(4, f.CpuCount, "still four CPUs");
                t.Equal(1, f.IoApicCount, "no default I/O APIC added");
            }
            AcpiTests.Release(a);
        }

        /// <summary>x2APIC entries, disabled and online-capable CPUs, repeated ids, the address override, too many I/O APICs.</summary>
        private static void MadtVariants(TestContext t)
        {
            AcpiTests.Area a;
            if (!AcpiTests.Allocate(t, out a)) return;
            byte* m = Madt(a);
            int at = 44;
            at = LocalApic(m, at, 0, 0, 1);
            at = LocalApic(m, at, 1, 1, 0);          // not enabled, not online-capable: left out
            at = LocalApic(m, at, 2, 2, 2);          // online-capable: kept
            at = LocalApic(m, at, 3, 0, 1);          // id 0 again: ignored
            at = X2Apic(m, at, 0x100, 1);            // an x2APIC id above 255
            at = X2Apic(m, at, 0x101, 0);            // not enabled
            for (byte i = 0; i < 6; i++) at = IoApic(m, at, i, 0xFEC00000u + i * 0x1000u, i * 24u);
            m[at] = ApicTables.LocalApicAddressType; m[at + 1] = 12; *(ulong*)(m + at + 4) = 0x1_FEE0_0000UL; at += 12;
            var f = new ApicFacts();
            if (Close(t, a, m, at, &f))
            {
                t.Equal(3, f.CpuCount, "ids 0, 2 and 0x100");
                t.Equal(0L, f.ApicId(0), "id 0");
                t.Equal(2L, f.ApicId(1), "online-capable id 2");
                t.Equal(0x100L, f.ApicId(2), "x2APIC id 0x100");
                t.Equal(ApicFacts.MaxIoApics, f.IoApicCount, "I/O APICs up to the limit");
                t.Equal(2, f.IoApicsDropped, "the rest counted");
                t.Equal(0xFEC03000UL, f.IoApicAddress(3), "the fourth I/O APIC");
                t.Equal(72L, f.IoApicGsiBase(3), "its GSI base");
                t.Equal(0x1_FEE0_0000UL, f.LocalApicAddress, "the 64-bit address override wins");
                f.MakeFirst(7);
                t.Equal(4, f.CpuCount, "a boot CPU the MADT missed is added");
                t.Equal(7L, f.ApicId(0), "first");
                t.Equal(0x100L, f.ApicId(3), "the others move up");
            }
            AcpiTests.Release(a);
        }

        /// <summary>A short entry is skipped, a zero-length entry stops the walk; no MADT at all gives the defaults.</summary>
        private static void MadtMalformed(TestContext t)
        {
            AcpiTests.Area a;
            if (!AcpiTests.Allocate(t, out a)) return;
            byte* m = Madt(a);
            int at = 44;
            at = LocalApic(m, at, 0, 0, 1);
            m[at] = ApicTables.IoApicType; m[at + 1] = 6; at += 6; // too short for an I/O APIC: skipped
            at = LocalApic(m, at, 1, 1, 1);
            m[at] = ApicTables.LocalApicType; m[at + 1] = 0; at += 8; // length 0: the walk stops here
            at = LocalApic(m, at, 2, 2, 1);
            var f = new ApicFacts();
            if (Close(t, a, m, at, &f))
            {
                t.Equal(2, f.CpuCount, "the CPUs before the bad entry");
                t.Equal(0, f.IoApicCount, "the short I/O APIC entry is not read");
                f.ApplyDefaults(0);
                t.Equal(1, f.IoApicCount, "the default I/O APIC");
                t.Equal(ApicFacts.DefaultIoApic, f.IoApicAddress(0), "at its architectural address");
            }
            var none = new ApicFacts();
            none.ApplyDefaults(5);
            t.True(!none.HasMadt, "no MADT");
            t.Equal(1, none.CpuCount, "the boot CPU alone");
            t.Equal(5L, none.ApicId(0), "with its id");
            t.Equal(ApicFacts.DefaultLocalApic, none.LocalApicAddress, "the local APIC at its architectural address");
            AcpiTests.Release(a);
        }

        // ---- MCFG ----

        private static void McfgWindows(TestContext t)
        {
            AcpiTests.Area a;
            if (!AcpiTests.Allocate(t, out a)) return;
            int entries = 3;
            byte* m = AcpiTests.Table(a, 0, "MCFG", PciTables.McfgFirstEntry + (uint)entries * PciTables.McfgEntrySize + 8, 1);
            byte* e = m + PciTables.McfgFirstEntry;
            *(ulong*)e = 0xB0000000; *(ushort*)(e + 8) = 0; e[10] = 0; e[11] = 255;   // QEMU q35's window
            e += 16;
            *(ulong*)e = 0; e[10] = 0; e[11] = 1;                                      // base 0: malformed
            e += 16;
            *(ulong*)e = 0x4010000000; *(ushort*)(e + 8) = 1; e[10] = 0x10; e[11] = 0x1F; // segment 1, buses 16-31
            // 8 bytes of a partial entry follow: not read.
            AcpiTests.Seal(m);
            AcpiTests.Roots(a, 1);
            AcpiTables tables;
            string error = AcpiTests.Open(a, out tables);
            if (t.True(error == null, error ?? ""))
            {
                var f = new PciEcamFacts();
                PciTables.ReadMcfg(ref tables, &f);
                t.True(f.HasMcfg, "an MCFG");
                t.Equal(2, f.Count, "two windows");
                t.Equal(1, f.Dropped, "the malformed one dropped");
                t.Equal(0xB0000000UL, f.Base(0), "first base");
                t.Equal(255L, f.EndBus(0), "first end bus");
                t.Equal(0x4010000000UL, f.Base(1), "second base");
                t.Equal(1L, f.Segment(1), "second segment");
                t.Equal(0x10L, f.StartBus(1), "second start bus");
                t.Equal(0x1FL, f.EndBus(1), "second end bus");
            }
            AcpiTests.Release(a);
        }

        // ---- an Arm machine's device tree ----

        /// <summary>
        /// / { #address-cells = 1; #size-cells = 1;
        ///     intc { compatible = GIC; reg = ...; };  timer { compatible = "arm,armv8-timer"; interrupts = ...; };
        ///     psci { compatible = PSCI; method = METHOD; cpu_on = 0xC4000003 (0.1 only); };
        ///     cpus { #address-cells = 1; #size-cells = 0;
        ///            cpu@0 { psci }, cpu@1 { psci }, cpu@2 { spin-table }, cpu@3 { disabled }, cpu@100 { psci, reg 0x100 } } }
        /// </summary>
        private static int Machine(byte* buffer, bool v3, string psciCompatible, string method)
        {
            for (int i = 0; i < DeviceTreeTests.BlobSize; i++) buffer[i] = 0;
            var b = new DeviceTreeTests.Builder { Buffer = buffer, Struct = 80, StructEnd = 80 };
            b.Strings = b.StringsEnd = 2048;
            uint* c = stackalloc uint[12];
            b.Begin("");
            b.Cells("#address-cells", 1); b.Cells("#size-cells", 1);
            b.Begin("intc");
            if (v3)
            {
                b.Text("compatible", "arm,gic-v3");
                b.Cells("#redistributor-regions", 2);
                c[0] = 0x08000000; c[1] = 0x10000; c[2] = 0x080A0000; c[3] = 0x40000; c[4] = 0x08200000; c[5] = 0x20000;
                b.CellArray("reg", c, 6);
            }
            else
            {
                b.Text("compatible", "arm,cortex-a15-gic");
                c[0] = 0x08000000; c[1] = 0x10000; c[2] = 0x08010000; c[3] = 0x10000;
                b.CellArray("reg", c, 4);
            }
            b.End();
            b.Begin("timer"); b.Text("compatible", "arm,armv8-timer");
            for (int i = 0; i < 4; i++) { c[3 * i] = 1; c[3 * i + 1] = (uint)(13 + i + (i == 2 ? 0 : 0)); c[3 * i + 2] = 0x104; }
            c[7] = 11; // the virtual timer: PPI 11 (INTID 27)
            b.CellArray("interrupts", c, 12);
            b.End();
            b.Begin("psci"); b.Text("compatible", psciCompatible); b.Text("method", method); b.Cells("cpu_on", 0x84000003); b.End();
            b.Begin("cpus"); b.Cells("#address-cells", 1); b.Cells("#size-cells", 0);
            b.Begin("cpu@0"); b.Text("device_type", "cpu"); b.Cells("reg", 0); b.Text("enable-method", "psci"); b.End();
            b.Begin("cpu@1"); b.Text("device_type", "cpu"); b.Cells("reg", 1); b.Text("enable-method", "psci"); b.End();
            b.Begin("cpu@2"); b.Text("device_type", "cpu"); b.Cells("reg", 2); b.Text("enable-method", "spin-table"); b.End();
            b.Begin("cpu@3"); b.Text("device_type", "cpu"); b.Cells("reg", 3); b.Text("status", "disabled"); b.End();
            b.Begin("cpu@100"); b.Text("device_type", "cpu"); b.Cells("reg", 0x100); b.End();
            b.End();
            b.End();
            return b.Finish();
        }

        private static bool Open(TestContext t, byte* blob, int size, out DeviceTree tree)
        {
            string error = DeviceTree.Open(blob, (ulong)size, out tree);
            return t.True(error == null, error ?? "");
        }

        private static void TreeGicV3(TestContext t)
        {
            byte* blob = stackalloc byte[DeviceTreeTests.BlobSize];
            int size = Machine(blob, v3: true, "arm,psci-1.0|arm,psci-0.2", "hvc");
            DeviceTree tree;
            if (!Open(t, blob, size, out tree)) return;
            var f = new ArmTreeFacts();
            ArmMachineTree.Read(ref tree, &f, 0);
            t.Equal(3, f.GicVersion, "GICv3");
            t.Equal(0x08000000UL, f.DistributorBase, "distributor");
            t.Equal(2, f.RedistributorRangeCount, "two redistributor regions");
            t.Equal(0x080A0000UL, f.RedistributorBase(0), "first region");
            t.Equal(0x40000UL, f.RedistributorLength(0), "first length");
            t.Equal(0x08200000UL, f.RedistributorBase(1), "second region");
            t.Equal(27, f.TimerIntId, "virtual timer INTID 27");
            t.Equal(ArmTreeFacts.PsciHvc, f.PsciConduit, "PSCI through hvc");
            t.Equal(ArmTreeFacts.PsciCpuOnDefault, f.PsciCpuOn, "PSCI 0.2+: the standard CPU_ON id");
            t.Equal(3, f.CpuCount, "cpu@0, cpu@1 and cpu@100");
            t.Equal(0x100UL, f.Mpidr(2), "cpu@100's MPIDR");
            t.Equal(1, f.CpusSkipped, "the spin-table CPU");
            var asBoot = new ArmTreeFacts();
            ArmMachineTree.Read(ref tree, &asBoot, 2);
            t.Equal(4, asBoot.CpuCount, "the boot CPU is kept whatever its enable-method");
            t.Equal(0, asBoot.CpusSkipped, "none skipped");
        }

        private static void TreeGicV2(TestContext t)
        {
            byte* blob = stackalloc byte[DeviceTreeTests.BlobSize];
            int size = Machine(blob, v3: false, "arm,psci", "smc");
            DeviceTree tree;
            if (!Open(t, blob, size, out tree)) return;
            var f = new ArmTreeFacts();
            ArmMachineTree.Read(ref tree, &f, 0);
            t.Equal(2, f.GicVersion, "GICv2");
            t.Equal(0x08010000UL, f.CpuInterfaceBase, "the CPU interface");
            t.Equal(0, f.RedistributorRangeCount, "no redistributors");
            t.Equal(ArmTreeFacts.PsciSmc, f.PsciConduit, "PSCI through smc");
            t.Equal(0x84000003UL, f.PsciCpuOn, "PSCI 0.1: the tree's cpu_on");
            size = Machine(blob, v3: false, "arm,psci", "bogus");
            if (!Open(t, blob, size, out tree)) return;
            var g = new ArmTreeFacts();
            ArmMachineTree.Read(ref tree, &g, 0);
            t.Equal((long)ArmTreeFacts.PsciNone, (long)g.PsciConduit, "an unknown method: no PSCI");
        }
    }
}
