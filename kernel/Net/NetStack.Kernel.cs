using System;
using Molt.Memory;
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
        private WaitQueue _activityWaiters;
        private int _activity;

        private struct ActivityWait { public nint Stack; public int Seen; }

        /// <summary>The network thread's round count, read by a blocking call BEFORE it tries (see <see cref="WaitForActivity"/>).</summary>
        private int ActivityStamp() => System.Threading.Volatile.Read(in _activity);

        /// <summary>
        /// Blocks a socket call until the network thread's next round (it
        /// signals after every round: frames in, timers run, or its 10 ms
        /// wake-up). Leaves the thread's operation while blocked.
        /// <paramref name="seen"/> is <see cref="ActivityStamp"/> taken before the
        /// failed attempt: a round that ran between the attempt and this call
        /// (the frame the caller waits for arrived just then) counts, and the
        /// call does not sleep. Taking the stamp here instead lost that wake-up
        /// and the caller slept until the next timer round: the bimodal 2 ms /
        /// 13 ms request latency of make bench-net (a capture showed 13 ms
        /// between the request reaching the NIC and the answer leaving it).
        /// </summary>
        private void WaitForActivity(int seen)
        {
            ActivityWait w;
            w.Stack = ObjectRef.AddressOf(this);
            w.Seen = seen;
            int depth = Operations.Pause();
            _activityWaiters.WaitFor(&ActivityChanged, (nint)(&w));
            Operations.Resume(depth);
        }

        private static bool ActivityChanged(nint p)
        {
            ActivityWait* w = (ActivityWait*)p;
            return System.Threading.Volatile.Read(in ObjectRef.FromAddress<NetStack>(w->Stack)._activity) != w->Seen;
        }

        private static void BumpActivity(nint self) => System.Threading.Interlocked.Increment(ref ObjectRef.FromAddress<NetStack>(self)._activity);

        private void SignalActivity() => _activityWaiters.Signal(&BumpActivity, ObjectRef.AddressOf(this), true);

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
            s._thread = Scheduler.Spawn(&NetworkThread, ObjectRef.AddressOf(s), "net");
            if (s._thread == null) { s.Free(); Heap.Free(s); return null; }
            return s;
        }

        /// <summary>Stops the network thread and waits for it; then <see cref="Free"/> may run.</summary>
        public void Stop()
        {
            _stop = true;
            if (_thread != null) { _thread.Join(); Heap.Free(_thread); _thread = null; }
            SignalActivity(); // no caller stays parked on a stopped stack
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
                s.SignalActivity();
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
