using Molt.Drivers.Virtio;
using Molt.Memory;
using Molt.Net;
using Molt.Testing;
using Molt.Threading;
using Molt.Time;

namespace Molt.Tests
{
    /// <summary>
    /// The stack (branch net) over the real virtio-net and QEMU's user
    /// network: DHCP gives 10.0.2.15/24 (no router under restrict=on), and the
    /// gateway 10.0.2.2 answers a ping. Runs after the raw virtio.* tests (which own the
    /// device until then) and stops its stack, so later tests find the
    /// device free again. Boots without a virtio-net skip it with a log line.
    /// </summary>
    internal static unsafe class NicStackTests
    {
        public static void Register()
        {
            TestRunner.Add("virtio.stack_dhcp_and_ping_gateway", &DhcpAndPing);
        }

        private static void DhcpAndPing(TestContext t)
        {
            if (PciTests.Nic("virtio.stack_dhcp_and_ping_gateway") == null) return;
            VirtioNet d = VirtioNet.Device(0);
            if (!t.True(d != null, "the virtio-net driver came up")) return;
            NetConfig config = NetConfig.Default();
            config.KvPort = 0;
            NetStack s = NetStack.StartInstance(d, config);
            if (!t.True(s != null, "stack started")) return;
            ulong start = Clock.NanosecondsSinceBoot();
            while (s.Address == 0 && Clock.NanosecondsSinceBoot() - start < 10_000_000_000UL) Scheduler.Sleep(10_000_000);
            ulong leaseMs = (Clock.NanosecondsSinceBoot() - start) / 1_000_000;
            bool leased = t.Equal(0x0A00020F, s.Address, "DHCP address 10.0.2.15 within 10 s");
            // With restrict=on QEMU's DHCP server names no router (and no DNS): the gateway stays unset,
            // and 10.0.2.2 is reached on-link. Without restrict it would be 10.0.2.2.
            t.True(s.Gateway == 0 || s.Gateway == 0x0A000202, "DHCP gateway none (restrict=on) or 10.0.2.2");
            t.Equal(0xFFFFFF00, s.Netmask, "DHCP netmask /24");
            if (leased)
            {
                ulong pingStart = Clock.NanosecondsSinceBoot();
                for (ushort seq = 1; s.LastEchoFrom != 0x0A000202 && seq <= 20; seq++)
                {
                    s.Ping(0x0A000202, 0x4D4C, seq);
                    ulong sent = Clock.NanosecondsSinceBoot();
                    while (s.LastEchoFrom != 0x0A000202 && Clock.NanosecondsSinceBoot() - sent < 250_000_000UL) Scheduler.Sleep(1_000_000);
                }
                t.Equal(0x0A000202, s.LastEchoFrom, "the gateway answered a ping within 5 s");
                t.Equal(0x4D4C, s.LastEchoId, "echo id");
                Console.Log.Info("test", $"over virtio-net: DHCP lease in {leaseMs} ms, gateway ping answered after {(Clock.NanosecondsSinceBoot() - pingStart) / 1000} us");
            }
            s.Stop();
            s.Free();
            Heap.Free(s);
        }
    }
}
