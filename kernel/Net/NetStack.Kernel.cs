using System;
using Molt.Memory;
using Molt.Net.Tcp;
using Molt.Threading;
using Thread = Molt.Threading.Thread;

namespace Molt.Net
{
    /// <summary>
    /// The kernel side of a stack: its network thread, and the start-up
    /// entry point the device driver calls once it has found a NIC.
    /// </summary>
    public sealed unsafe partial class NetStack
    {
        /// <summary>The stack started by <see cref="Start"/> (the one the KV service and the update daemon use).</summary>
        public static NetStack Default;
        private Thread _thread;
        private volatile bool _stop;

        /// <summary>
        /// Where blocked socket calls wait: one per connection slot and one
        /// per listener, so a frame for one connection wakes the threads of
        /// that connection only, never every server thread.
        /// Protocol:
        /// 1. A caller reads the slot's <see cref="Wakes"/>, tries its step
        ///    under the stack's lock, and if it must wait, blocks on the
        ///    slot's queue unless Wakes moved (checked under the queue's
        ///    lock, so no wake between the step and the block is lost). While
        ///    blocked it lowers the slot's <see cref="Deadline"/> to its own.
        /// 2. After every round the network thread compares each slot's
        ///    <see cref="Signature"/> (what a waiter can wait for: state,
        ///    bytes to read, bytes unacknowledged, the accept queue) with the
        ///    last round's; a connection that changed has all its waiters
        ///    woken, a listener one waiter per queued connection.
        /// 3. A slot whose deadline has passed has all its waiters woken, so
        ///    time-outs hold to the network thread's 10 ms round.
        /// Invariant: every wake bumps Wakes under the queue's lock; a wake of
        /// all also resets Deadline, and each woken caller that still must
        /// wait registers its own again (a wake of one leaves Deadline, which
        /// the callers still queued set).
        /// </summary>
        private struct SlotWait
        {
            public WaitQueue Queue;
            public int Wakes;
            public long Deadline;
            public ulong Signature;
        }

        private struct WaitArgs { public SlotWait* Slot; public int Seen; public long Deadline; }

        private SlotWait* _connWaits, _listenWaits;
        private int _connSlots, _listenSlots;

        private void CreateWaits()
        {
            _connSlots = _tcp.Capacity;
            _listenSlots = _tcp.ListenerCapacity;
            _connWaits = (SlotWait*)Heap.AllocateOrPanic((uint)(_connSlots * sizeof(SlotWait)));
            _listenWaits = (SlotWait*)Heap.AllocateOrPanic((uint)(_listenSlots * sizeof(SlotWait)));
            for (int i = 0; i < _connSlots; i++) _connWaits[i].Deadline = long.MaxValue;
            for (int i = 0; i < _listenSlots; i++) _listenWaits[i].Deadline = long.MaxValue;
        }

        private int SocketWakes(TcpSocket s) => (uint)s.Index < (uint)_connSlots ? System.Threading.Volatile.Read(in _connWaits[s.Index].Wakes) : 0;
        private int ListenerWakes(int listener) => (uint)listener < (uint)_listenSlots ? System.Threading.Volatile.Read(in _listenWaits[listener].Wakes) : 0;

        private void WaitForSocket(TcpSocket s, int seen, long deadline)
        {
            if ((uint)s.Index < (uint)_connSlots) Wait(&_connWaits[s.Index], seen, deadline);
        }

        private void WaitForListener(int listener, int seen, long deadline)
        {
            if ((uint)listener < (uint)_listenSlots) Wait(&_listenWaits[listener], seen, deadline);
        }

        /// <summary>Step 1's block. Leaves the thread's operation while blocked, so it never holds back quiescence.</summary>
        private static void Wait(SlotWait* slot, int seen, long deadline)
        {
            WaitArgs a;
            a.Slot = slot; a.Seen = seen; a.Deadline = deadline;
            int depth = Operations.Pause();
            slot->Queue.WaitFor(&MustWake, (nint)(&a));
            Operations.Resume(depth);
        }

        private static bool MustWake(nint p)
        {
            WaitArgs* a = (WaitArgs*)p;
            if (System.Threading.Volatile.Read(in a->Slot->Wakes) != a->Seen) return true;
            if (a->Deadline < a->Slot->Deadline) a->Slot->Deadline = a->Deadline;
            return false;
        }

        /// <summary>Before waking every waiter: each re-registers its deadline if it still must wait.</summary>
        private static void Bump(nint slot)
        {
            SlotWait* w = (SlotWait*)slot;
            System.Threading.Interlocked.Increment(ref w->Wakes);
            w->Deadline = long.MaxValue;
        }

        /// <summary>Before waking one waiter: the others stay queued with their deadlines, so the slot's stays.</summary>
        private static void BumpOne(nint slot) => System.Threading.Interlocked.Increment(ref ((SlotWait*)slot)->Wakes);

        /// <summary>Steps 2 and 3, after a round, by the network thread.</summary>
        private void WakeChanged()
        {
            long now = Now;
            _lock.Enter();
            for (int i = 0; i < _connSlots; i++)
            {
                TcpConnection c = _tcp.ConnectionAt(i);
                // RcvNxt, not only Rx.Count: a reader that drained the buffer, then a segment
                // of the same size in the next round, leave Rx.Count as it was, and the reader
                // slept to its deadline (a 1 MiB upload took 15 s instead of 0.06 s).
                ulong sig = (ulong)c.Generation * 0x9E3779B97F4A7C15UL ^ (ulong)c.State << 56 ^ (ulong)(uint)c.Error << 40
                          ^ (ulong)c.RcvNxt << 20 ^ (ulong)(uint)c.Rx.Count << 52 ^ (ulong)(uint)c.Tx.Count ^ (ulong)c.SndUna << 8 ^ (c.FinReceived ? 1UL << 63 : 0);
                SlotWait* w = &_connWaits[i];
                if (sig != w->Signature) { w->Signature = sig; w->Queue.Signal(&Bump, (nint)w, true); }
                else if (w->Deadline <= now) w->Queue.Signal(&Bump, (nint)w, true);
            }
            for (int i = 0; i < _listenSlots; i++)
            {
                TcpListener l = _tcp.ListenerAt(i);
                SlotWait* w = &_listenWaits[i];
                ulong sig = (ulong)l.Generation << 32 ^ (l.InUse ? 1UL : 0);
                if (sig != w->Signature) { w->Signature = sig; w->Queue.Signal(&Bump, (nint)w, true); continue; }
                for (int q = 0; q < l.QueueCount; q++) w->Queue.Signal(&BumpOne, (nint)w, false);
                if (w->Deadline <= now) w->Queue.Signal(&Bump, (nint)w, true);
            }
            _lock.Exit();
        }

        /// <summary>Frees the wait slots (from <see cref="Free"/>, after <see cref="Stop"/>).</summary>
        private void FreeWaits()
        {
            if (_connWaits != null) Heap.Free(_connWaits);
            if (_listenWaits != null) Heap.Free(_listenWaits);
            _connWaits = _listenWaits = null;
            _connSlots = _listenSlots = 0;
        }

        /// <summary>Wakes every blocked caller (the stack stops).</summary>
        private void WakeAll()
        {
            for (int i = 0; i < _connSlots; i++) _connWaits[i].Queue.Signal(&Bump, (nint)(&_connWaits[i]), true);
            for (int i = 0; i < _listenSlots; i++) _listenWaits[i].Queue.Signal(&Bump, (nint)(&_listenWaits[i]), true);
        }

        /// <summary>
        /// Creates the stack on <paramref name="device"/> and starts its network
        /// thread. Called once from kernel init, which then starts the services
        /// on it (the key-value service on <c>config.KvPort</c>).
        /// </summary>
        public static NetStack Start(INetDevice device, in NetConfig config)
        {
            NetStack s = StartInstance(device, config);
            if (s == null) return null;
            Default = s;
            Molt.Console.Log.Info("net", $"stack up: {(config.UseDhcp && config.Address == 0 ? "dhcp" : "static address")}, {config.MaxConnections} connections");
            return s;
        }

        /// <summary>The config from the kernel command line: <c>ip=a.b.c.d/len gw=a.b.c.d kv.port=N net.conns=N</c>.</summary>
        public static NetConfig ConfigFromCommandLine()
        {
            NetConfig c = NetConfig.Default();
            Molt.Boot.CommandLine cmd = Molt.Kernel.CommandLine;
            int pos = 0;
            byte* key; int kl; byte* value; int vl;
            while (cmd.Next(ref pos, out key, out kl, out value, out vl))
            {
                ReadOnlySpan<byte> k = new ReadOnlySpan<byte>(key, kl);
                bool ours = (kl == 2 && (key[0] == 'i' && key[1] == 'p' || key[0] == 'g' && key[1] == 'w')) || (kl > 3 && key[0] == 'k' && key[1] == 'v' && key[2] == '.') || (kl > 4 && key[0] == 'n' && key[1] == 'e' && key[2] == 't' && key[3] == '.');
                if (ours && !c.Apply(k, new ReadOnlySpan<byte>(value, vl)))
                    Molt.Console.Log.Warn("net", $"command-line option '{new Molt.Console.AsciiText(key, kl)}' has a malformed value; ignored");
            }
            return c;
        }

        /// <summary>A stack with its own network thread (tests run several); null when out of memory for the thread.</summary>
        public static NetStack StartInstance(INetDevice device, in NetConfig config)
        {
            NetStack s = new NetStack(device, config, new KernelNetClock());
            s.CreateWaits();
            s._thread = Scheduler.Spawn(&NetworkThread, ObjectRef.AddressOf(s), "net");
            if (s._thread == null) { s.Free(); Heap.Free(s); return null; }
            return s;
        }

        /// <summary>Stops the network thread and waits for it; then <see cref="Free"/> may run.</summary>
        public void Stop()
        {
            _stop = true;
            if (_thread != null) { _thread.Join(); Heap.Free(_thread); _thread = null; }
            WakeAll(); // no caller stays parked on a stopped stack
        }

        /// <summary>
        /// The network thread: poll the device, run the timers, then sleep
        /// until the next timer (at most 10 ms) or until frames arrive. The
        /// wait leaves the thread's operation so it never delays quiescence.
        /// </summary>
        private static void NetworkThread(nint self)
        {
            NetStack s = ObjectRef.FromAddress<NetStack>(self);
            bool announced = false, pinged = false, answered = false;
            long pingAt = 0, lastRefused = 0, lastRefusedLog = 0;
            while (!s._stop)
            {
                long next = s.PollOnce();
                s.WakeChanged();
                if (!announced && s.Address != 0 && (s.DhcpState == DhcpState.Bound || s.DhcpState == DhcpState.Off))
                {
                    announced = true;
                    uint a = s.Address, g = s.Gateway;
                    Molt.Console.Log.Info("net", $"address {(int)(a >> 24)}.{(int)(a >> 16 & 255)}.{(int)(a >> 8 & 255)}.{(int)(a & 255)} ({(s.DhcpState == DhcpState.Bound ? "dhcp" : "static")}), gateway {(int)(g >> 24)}.{(int)(g >> 16 & 255)}.{(int)(g >> 8 & 255)}.{(int)(g & 255)}");
                }
                // Once configured, ping the gateway once (QEMU's user network answers it): proof the path works.
                if (announced && !pinged && s.Gateway != 0 && s == Default) { pinged = true; pingAt = s.Now; s.Ping(s.Gateway, 0x4D4C, 1); }
                long refused = s.Counters[NetCounter.DropTcpBacklogFull] + s.Counters[NetCounter.DropTcpNoMemory];
                if (refused != lastRefused && s.Now - lastRefusedLog > 1_000_000)
                {
                    // Rate-limited: connections refused for lack of room say so on the console.
                    Molt.Console.Log.Warn("net", $"refused {refused - lastRefused} connection(s): backlog full {s.Counters[NetCounter.DropTcpBacklogFull]}, no free block {s.Counters[NetCounter.DropTcpNoMemory]} (in use {s.Tcp.ActiveCount} of {s.Tcp.Capacity})");
                    lastRefused = refused; lastRefusedLog = s.Now;
                }
                if (pinged && !answered && s.LastEchoFrom == s.Gateway && s.LastEchoId == 0x4D4C)
                {
                    answered = true;
                    Molt.Console.Log.Info("net", $"gateway answered ping in {(s.Now - pingAt) / 1000} ms");
                }
                long wait = next == 0 ? 10_000 : next - s.Now;
                if (wait > 10_000) wait = 10_000;
                if (wait > 0)
                {
                    int depth = Operations.Pause();
                    s._device.WaitForFrames(wait);
                    Operations.Resume(depth);
                }
                else Operations.Checkpoint();
            }
        }
    }
}
