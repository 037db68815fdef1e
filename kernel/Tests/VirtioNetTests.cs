using System;
using Molt.Drivers.Pci;
using Molt.Drivers.Virtio;
using Molt.Memory;
using Molt.Net;
using Molt.Testing;
using Molt.Threading;
using Molt.Time;

namespace Molt.Tests
{
    /// <summary>
    /// The virtio-net driver against QEMU's user network (slirp, restrict=on),
    /// without any stack: hand-built frames out, QEMU's answers in.
    /// <list type="bullet">
    /// <item>A DHCP DISCOVER gets QEMU's DHCP OFFER back, through the receive
    ///       interrupt (<see cref="VirtioNet.Interrupts"/> must move): transmit,
    ///       receive and interrupts in one.</item>
    /// <item>1,000 frames of varied sizes sent in one burst all complete, the
    ///       transmit ring recycles, and no used entry names a wrong descriptor.</item>
    /// <item>ARP requests for the gateway, answered by QEMU, keep arriving while
    ///       the receive ring wraps four times.</item>
    /// </list>
    /// Boots without a virtio-net (the image tests) log a skip; a virtio-net
    /// that is present but whose driver did not come up fails.
    /// The stack is not started in test mode, so these tests own Poll.
    /// </summary>
    internal static unsafe class VirtioNetTests
    {
        public static void Register()
        {
            TestRunner.Add("virtio.features_negotiated", &Features);
            TestRunner.Add("virtio.registered_as_net_device", &Registered);
            TestRunner.Add("virtio.dhcp_offer_through_rx_interrupt", &DhcpOffer);
            TestRunner.Add("virtio.tx_burst_1000_recycles_ring", &TxBurst);
            TestRunner.Add("virtio.rx_survives_ring_wrapping", &RxWraps);
            TestRunner.Add("virtio.no_lost_rx_notification", &NoLostNotification);
            TestRunner.Add("virtio.wait_honours_timeout", &WaitTimesOut);
            TestRunner.Add("virtio.rx_interrupt_wakes_the_waiter", &InterruptWakes);
        }

        private static VirtioNet Device(TestContext t, string name)
        {
            if (PciTests.Nic(name) == null) return null;
            VirtioNet d = VirtioNet.Device(0);
            t.True(d != null, "a virtio-net function is present but its driver did not come up (see the virtio-net log line)");
            return d;
        }

        private static void Features(TestContext t)
        {
            VirtioNet d = Device(t, "virtio.features_negotiated");
            if (d == null) return;
            t.True((d.Features & (1UL << VirtioNet.FeatureVersion1)) != 0, "VERSION_1 negotiated");
            t.True((d.Features & (1UL << VirtioNet.FeatureMac)) != 0, "MAC negotiated");
            t.Equal(0, (long)(d.Features & ~((1UL << VirtioNet.FeatureVersion1) | (1UL << VirtioNet.FeatureMac) | (1UL << VirtioNet.FeatureStatus) | (1UL << VirtioNet.FeatureMtu))), "nothing beyond VERSION_1, MAC, STATUS, MTU");
            byte* mac = stackalloc byte[6];
            d.GetMacAddress(new Span<byte>(mac, 6));
            // QEMU's first NIC: 52:54:00:12:34:56.
            t.Equal(0x52, mac[0], "mac[0]"); t.Equal(0x54, mac[1], "mac[1]"); t.Equal(0x00, mac[2], "mac[2]");
            t.Equal(0x12, mac[3], "mac[3]"); t.Equal(0x34, mac[4], "mac[4]"); t.Equal(0x56, mac[5], "mac[5]");
            t.Equal(1500, d.Mtu, "mtu");
            t.Equal(1, d.LinkStatus & 1, "link up");
            t.Equal(256, d.RxQueueSize, "receive queue size");
            t.Equal(256, d.TxQueueSize, "transmit queue size");
        }

        private static void Registered(TestContext t)
        {
            VirtioNet d = Device(t, "virtio.registered_as_net_device");
            if (d == null) return;
            t.True(NetDevices.Count >= 1, "registered");
            t.True(NetDevices.First == (INetDevice)d, "the first device is the default one");
            t.True(NetDevices.Get(NetDevices.Count) == null, "past the end is null");
        }

        // ---- frames ----

        private static void Put16(byte* p, int v) { p[0] = (byte)(v >> 8); p[1] = (byte)v; }
        private static void Put32(byte* p, uint v) { p[0] = (byte)(v >> 24); p[1] = (byte)(v >> 16); p[2] = (byte)(v >> 8); p[3] = (byte)v; }
        private static int Get16(ReadOnlySpan<byte> s, int at) => s[at] << 8 | s[at + 1];
        private static uint Get32(ReadOnlySpan<byte> s, int at) => (uint)(s[at] << 24 | s[at + 1] << 16 | s[at + 2] << 8 | s[at + 3]);

        private static ushort IpChecksum(byte* p, int length)
        {
            uint sum = 0;
            for (int i = 0; i < length; i += 2) sum += (uint)(p[i] << 8 | p[i + 1]);
            while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
            return (ushort)~sum;
        }

        private const int BootpLength = 300;
        public const int DiscoverLength = 14 + 20 + 8 + BootpLength;

        /// <summary>A broadcast DHCP DISCOVER from <paramref name="mac"/> with transaction id <paramref name="xid"/>.</summary>
        internal static void BuildDiscover(byte* f, byte* mac, uint xid)
        {
            for (int i = 0; i < DiscoverLength; i++) f[i] = 0;
            for (int i = 0; i < 6; i++) { f[i] = 0xFF; f[6 + i] = mac[i]; }
            Put16(f + 12, 0x0800);
            byte* ip = f + 14;
            ip[0] = 0x45; Put16(ip + 2, 20 + 8 + BootpLength); ip[8] = 64; ip[9] = 17;
            Put32(ip + 16, 0xFFFFFFFF);
            Put16(ip + 10, IpChecksum(ip, 20));
            byte* udp = ip + 20;
            Put16(udp, 68); Put16(udp + 2, 67); Put16(udp + 4, 8 + BootpLength);
            byte* b = udp + 8;
            b[0] = 1; b[1] = 1; b[2] = 6;
            Put32(b + 4, xid);
            Put16(b + 10, 0x8000); // broadcast reply
            for (int i = 0; i < 6; i++) b[28 + i] = mac[i];
            Put32(b + 236, 0x63825363);
            byte* o = b + 240;
            o[0] = 53; o[1] = 1; o[2] = 1;           // DHCP DISCOVER
            o[3] = 55; o[4] = 3; o[5] = 1; o[6] = 3; o[7] = 6; // ask: netmask, router, DNS
            o[8] = 255;
        }

        internal const int ArpLength = 60;

        /// <summary>An ARP request "who has 10.0.2.2, tell 10.0.2.15", padded to the Ethernet minimum.</summary>
        internal static void BuildArpRequest(byte* f, byte* mac)
        {
            for (int i = 0; i < ArpLength; i++) f[i] = 0;
            for (int i = 0; i < 6; i++) { f[i] = 0xFF; f[6 + i] = mac[i]; f[22 + i] = mac[i]; }
            Put16(f + 12, 0x0806);
            Put16(f + 14, 1); Put16(f + 16, 0x0800); f[18] = 6; f[19] = 4; Put16(f + 20, 1);
            Put32(f + 28, 0x0A00020F);
            Put32(f + 38, 0x0A000202);
        }

        /// <summary>Classifies what comes back: DHCP offers for our transaction, ARP replies from the gateway, anything else.</summary>
        private sealed class Sink : IFrameSink
        {
            public uint Xid;
            public int Offers, ArpReplies, Other;
            public uint OfferedAddress, ServerId;

            public void OnFrame(ReadOnlySpan<byte> f)
            {
                if (f.Length >= 42 && Get16(f, 12) == 0x0806 && Get16(f, 20) == 2 && Get32(f, 28) == 0x0A000202 && Get32(f, 38) == 0x0A00020F)
                {
                    ArpReplies++;
                    return;
                }
                if (f.Length >= 14 + 20 + 8 + 244 && Get16(f, 12) == 0x0800 && f[14 + 9] == 17)
                {
                    int ihl = (f[14] & 15) * 4;
                    int udp = 14 + ihl, b = udp + 8;
                    if (Get16(f, udp) == 67 && Get16(f, udp + 2) == 68 && f[b] == 2 && Get32(f, b + 4) == Xid && Get32(f, b + 236) == 0x63825363)
                    {
                        for (int at = b + 240; at + 1 < f.Length && f[at] != 255;)
                        {
                            if (f[at] == 0) { at++; continue; }
                            int len = f[at + 1];
                            if (at + 2 + len > f.Length) break;
                            if (f[at] == 53 && len == 1 && f[at + 2] == 2) { Offers++; OfferedAddress = Get32(f, b + 16); }
                            if (f[at] == 54 && len == 4) ServerId = Get32(f, at + 2);
                            at += 2 + len;
                        }
                        return;
                    }
                }
                Other++;
            }
        }

        private static void Drain(VirtioNet d)
        {
            while (d.Poll(null, 64) > 0) { }
        }

        private static void DhcpOffer(TestContext t)
        {
            VirtioNet d = Device(t, "virtio.dhcp_offer_through_rx_interrupt");
            if (d == null) return;
            Drain(d);
            byte* mac = stackalloc byte[6];
            d.GetMacAddress(new Span<byte>(mac, 6));
            byte* frame = stackalloc byte[DiscoverLength];
            var sink = new Sink { Xid = 0x4D6F6C74 };
            BuildDiscover(frame, mac, sink.Xid);
            ulong interruptsBefore = d.Interrupts, rxBefore = d.RxFrames;
            t.True(d.Transmit(new ReadOnlySpan<byte>(frame, DiscoverLength)), "DISCOVER queued");
            ulong start = Clock.NanosecondsSinceBoot();
            int attempts = 0;
            while (sink.Offers == 0 && Clock.NanosecondsSinceBoot() - start < 5_000_000_000UL)
            {
                d.WaitForFrames(200_000);
                d.Poll(sink, 16);
                // Slirp may drop the first DISCOVER while it sets up; ask again each second.
                if (sink.Offers == 0 && Clock.NanosecondsSinceBoot() - start > (ulong)(attempts + 1) * 1_000_000_000UL)
                {
                    attempts++;
                    d.Transmit(new ReadOnlySpan<byte>(frame, DiscoverLength));
                }
            }
            t.True(sink.Offers >= 1, "a DHCP OFFER for our transaction came back within 5 s");
            t.Equal(0x0A00020F, sink.OfferedAddress, "offered 10.0.2.15");
            t.Equal(0x0A000202, sink.ServerId, "server identifier 10.0.2.2");
            t.True(d.Interrupts > interruptsBefore, "the receive interrupt fired");
            t.True(d.RxFrames > rxBefore, "receive counter moved");
            t.Equal(0, (long)d.BadDescriptors, "no bad descriptors");
            Heap.Free(sink);
        }

        private static void TxBurst(TestContext t)
        {
            VirtioNet d = Device(t, "virtio.tx_burst_1000_recycles_ring");
            if (d == null) return;
            const int Count = 1000;
            byte* mac = stackalloc byte[6];
            d.GetMacAddress(new Span<byte>(mac, 6));
            byte* frame = stackalloc byte[1514];
            ulong start = Clock.NanosecondsSinceBoot();
            // Earlier tests' frames first, so the counts below are this burst's alone.
            while (d.ReclaimTransmitBuffers() != 0 && Clock.NanosecondsSinceBoot() - start < 2_000_000_000UL) Scheduler.Sleep(1_000_000);
            ulong completedBefore = d.TxCompleted, sentBefore = d.TxFrames, fullBefore = d.TxRingFull;
            int sent = 0;
            ulong burstStart = Clock.NanosecondsSinceBoot();
            while (sent < Count && Clock.NanosecondsSinceBoot() - start < 20_000_000_000UL)
            {
                // A local experimental EtherType (0x88b5) that slirp drops; sizes from 60 to 1514 bytes.
                int length = 60 + (sent * 97) % (1514 - 60 + 1);
                for (int i = 0; i < 6; i++) { frame[i] = 0xFF; frame[6 + i] = mac[i]; }
                Put16(frame + 12, 0x88B5);
                Put32(frame + 14, (uint)sent);
                for (int i = 18; i < length; i++) frame[i] = (byte)(sent + i);
                if (d.Transmit(new ReadOnlySpan<byte>(frame, length))) sent++;
                else Scheduler.Yield(); // ring full: the device drains it
            }
            t.Equal(Count, sent, "frames accepted within 20 s");
            int inFlight = -1;
            while (Clock.NanosecondsSinceBoot() - start < 25_000_000_000UL && (inFlight = d.ReclaimTransmitBuffers()) != 0) Scheduler.Sleep(1_000_000);
            ulong burstUs = (Clock.NanosecondsSinceBoot() - burstStart) / 1000;
            t.Equal(0, inFlight, "every transmit buffer came back");
            t.Equal(Count, (long)(d.TxFrames - sentBefore), "transmitted");
            t.Equal(Count, (long)(d.TxCompleted - completedBefore), "completed: each descriptor returned exactly once");
            t.Equal(0, (long)d.BadDescriptors, "no used entry named a wrong descriptor");
            t.True(Count > d.TxQueueSize, "the burst is larger than the ring, so it recycled");
            Log(d.TxRingFull - fullBefore, burstUs);
        }

        private static void Log(ulong full, ulong us)
            => Console.Log.Info("test", $"virtio tx burst: 1000 frames (60-1514 bytes) sent and completed in {us} us, ring full {full} times");

        /// <summary>
        /// The lost-notification guard: a frame that lands while receive
        /// interrupts are off (as the handler leaves them) raises no interrupt;
        /// WaitForFrames must still return at once, not at its time-out.
        /// </summary>
        private static void NoLostNotification(TestContext t)
        {
            VirtioNet d = Device(t, "virtio.no_lost_rx_notification");
            if (d == null) return;
            Drain(d);
            byte* mac = stackalloc byte[6];
            d.GetMacAddress(new Span<byte>(mac, 6));
            byte* frame = stackalloc byte[ArpLength];
            BuildArpRequest(frame, mac);
            d.RxInterruptsEnabled = false;
            ulong interrupts = d.Interrupts;
            t.True(d.Transmit(new ReadOnlySpan<byte>(frame, ArpLength)), "ARP request queued");
            ulong start = Clock.NanosecondsSinceBoot();
            while (!d.RxPending && Clock.NanosecondsSinceBoot() - start < 3_000_000_000UL) Scheduler.Sleep(1_000_000);
            if (!t.True(d.RxPending, "the ARP reply landed within 3 s")) return;
            t.Equal((long)interrupts, (long)d.Interrupts, "no interrupt while receive interrupts were off");
            start = Clock.NanosecondsSinceBoot();
            d.WaitForFrames(3_000_000);
            ulong waited = Clock.NanosecondsSinceBoot() - start;
            t.True(waited < 500_000_000UL, "WaitForFrames saw the waiting frame instead of sleeping to its 3 s time-out");
            var sink = new Sink();
            d.Poll(sink, 16);
            t.True(sink.ArpReplies >= 1, "the ARP reply is received");
            // With the ring empty, a wait turns receive interrupts back on before it sleeps.
            d.WaitForFrames(1_000);
            t.True(d.RxInterruptsEnabled, "receive interrupts are back on after a wait on an empty ring");
            Heap.Free(sink);
        }

        /// <summary>
        /// One ARP request at a time, then a 200 ms wait with the ring empty:
        /// the reply's interrupt must end each wait, far sooner than its time-out.
        /// </summary>
        private static void InterruptWakes(TestContext t)
        {
            VirtioNet d = Device(t, "virtio.rx_interrupt_wakes_the_waiter");
            if (d == null) return;
            byte* mac = stackalloc byte[6];
            d.GetMacAddress(new Span<byte>(mac, 6));
            byte* frame = stackalloc byte[ArpLength];
            BuildArpRequest(frame, mac);
            var sink = new Sink();
            const int Rounds = 20;
            ulong total = 0, worst = 0, interrupts = d.Interrupts;
            int woken = 0;
            for (int i = 0; i < Rounds; i++)
            {
                Drain(d);
                d.WaitForFrames(1_000); // interrupts back on, stale signals consumed
                Drain(d);
                int replies = sink.ArpReplies;
                ulong start = Clock.NanosecondsSinceBoot();
                d.Transmit(new ReadOnlySpan<byte>(frame, ArpLength));
                while (sink.ArpReplies == replies && Clock.NanosecondsSinceBoot() - start < 1_000_000_000UL)
                {
                    d.WaitForFrames(200_000);
                    d.Poll(sink, 16);
                }
                ulong took = Clock.NanosecondsSinceBoot() - start;
                if (sink.ArpReplies > replies) woken++;
                total += took;
                if (took > worst) worst = took;
            }
            t.Equal(Rounds, woken, "every ARP reply arrived");
            t.True(d.Interrupts > interrupts, "through receive interrupts");
            t.True(total / Rounds < 50_000_000UL, "the average round trip is far below the 200 ms wait: the interrupt ends the wait");
            Console.Log.Info("test", $"virtio rx wake-up: ARP round trip through a blocking wait {total / Rounds / 1000} us on average, {worst / 1000} us at worst");
            Heap.Free(sink);
        }

        private static void WaitTimesOut(TestContext t)
        {
            VirtioNet d = Device(t, "virtio.wait_honours_timeout");
            if (d == null) return;
            Drain(d);
            // Earlier waits may leave a signal or an early timer behind (spurious returns are allowed): a few tries.
            ulong longest = 0;
            for (int i = 0; i < 8 && longest < 90_000_000UL; i++)
            {
                ulong start = Clock.NanosecondsSinceBoot();
                d.WaitForFrames(100_000);
                ulong waited = Clock.NanosecondsSinceBoot() - start;
                t.True(waited < 1_000_000_000UL, "a 100 ms wait ended within 1 s");
                if (waited > longest) longest = waited;
                Drain(d);
            }
            t.True(longest >= 90_000_000UL, "a 100 ms wait with nothing arriving slept about 100 ms");
        }

        private static void RxWraps(TestContext t)
        {
            VirtioNet d = Device(t, "virtio.rx_survives_ring_wrapping");
            if (d == null) return;
            Drain(d);
            byte* mac = stackalloc byte[6];
            d.GetMacAddress(new Span<byte>(mac, 6));
            byte* frame = stackalloc byte[ArpLength];
            BuildArpRequest(frame, mac);
            var sink = new Sink();
            int target = 4 * d.RxQueueSize + 16, batch = 32;
            ulong droppedBefore = d.RxDropped, rxBefore = d.RxFrames;
            ulong start = Clock.NanosecondsSinceBoot();
            int asked = 0;
            while (sink.ArpReplies < target && Clock.NanosecondsSinceBoot() - start < 30_000_000_000UL)
            {
                if (asked - sink.ArpReplies < batch / 2)
                    for (int i = 0; i < batch; i++)
                        if (d.Transmit(new ReadOnlySpan<byte>(frame, ArpLength))) asked++;
                d.WaitForFrames(50_000);
                d.Poll(sink, 64);
                // Lost requests (none expected) must not stall the loop: ask again after a quiet spell.
                if (asked - sink.ArpReplies >= batch / 2 && d.RxFrames == rxBefore + (ulong)(sink.ArpReplies + sink.Other)) asked = sink.ArpReplies;
            }
            t.True(sink.ArpReplies >= target, "ARP replies kept coming while the receive ring wrapped four times (30 s)");
            Console.Log.Info("test", $"virtio rx: {sink.ArpReplies} ARP round trips in {(Clock.NanosecondsSinceBoot() - start) / 1000} us, {d.Interrupts} receive interrupts so far");
            t.Equal(0, (long)(d.RxDropped - droppedBefore), "nothing dropped");
            t.Equal(0, (long)d.BadDescriptors, "no bad descriptors");
            Heap.Free(sink);
        }
    }
}
