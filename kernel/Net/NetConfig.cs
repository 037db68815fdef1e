#nullable disable
using System;
using Molt.Net.Wire;

namespace Molt.Net
{
    /// <summary>
    /// How a stack instance is set up: addresses (or DHCP) and the limits
    /// its pools are sized by at start. A plain struct: copy it freely.
    /// Addresses are host-order uints (10.0.2.15 = 0x0A00020F).
    /// </summary>
    public struct NetConfig
    {
        public uint Address, Netmask, Gateway;
        /// <summary>Ask a DHCP server for the address (when Address is 0 at start).</summary>
        public bool UseDhcp;

        public int MaxConnections;   // TCP control blocks (pool size)
        public int MaxListeners;
        public int RxBufferSize;     // per connection, bytes
        public int TxBufferSize;     // per connection, bytes
        public int ArpCacheSize;

        public long TimeWaitMicroseconds;
        public long MinRtoMicroseconds;
        public long MaxRtoMicroseconds;
        public long InitialRtoMicroseconds;
        public long DelayedAckMicroseconds;
        public long ArpTimeoutMicroseconds;
        public int MaxRetransmissions;
        public uint Seed;            // initial sequence numbers and ephemeral ports

        public int KvPort;
        /// <summary>KV worker threads: connections served at once (kv.workers=).</summary>
        public int KvWorkers;
        /// <summary>Seconds a started KV request may go without a byte before 408 (kv.request_timeout=).</summary>
        public int KvRequestTimeoutSeconds;

        public static NetConfig Default()
        {
            NetConfig c = default;
            c.UseDhcp = true;
            c.Netmask = 0xFFFFFF00;
            c.MaxConnections = 160;  // the KV's 64 workers, the daemon's 4, and room for TIME-WAIT
            c.MaxListeners = 8;
            c.RxBufferSize = 64 * 1024;
            c.TxBufferSize = 64 * 1024;
            c.ArpCacheSize = 32;
            c.TimeWaitMicroseconds = 2_000_000;      // bounded: 2 s (RFC's 2 MSL is 4 min; a unikernel server recycles)
            c.MinRtoMicroseconds = 1_000_000;        // RFC 6298 (2.4)
            c.MaxRtoMicroseconds = 60_000_000;       // RFC 6298 (2.5)
            c.InitialRtoMicroseconds = 1_000_000;    // RFC 6298 (2.1)
            c.DelayedAckMicroseconds = 10_000;
            c.ArpTimeoutMicroseconds = 60_000_000;
            c.MaxRetransmissions = 12;
            c.Seed = 0x6D6F6C74;
            c.KvPort = 8080;
            c.KvWorkers = 64;
            c.KvRequestTimeoutSeconds = 10;
            return c;
        }

        /// <summary>
        /// Applies one command-line option: <c>ip=a.b.c.d/len</c> (static, no DHCP),
        /// <c>gw=a.b.c.d</c>, <c>kv.port=N</c>, <c>net.conns=N</c>, <c>net.rto_min=MS</c>
        /// (the RTO floor and initial RTO in milliseconds, 10-1000: RFC 6298's 1 s by default,
        /// Linux uses 200 ms), <c>net.rto_max=MS</c> (the backoff's cap, 1000-60000 ms,
        /// RFC 6298's 60 s by default). False if the value is malformed.
        /// </summary>
        public bool Apply(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            if (Is(key, "ip"))
            {
                if (!Ip.TryParseCidr(value, out uint ip, out uint mask)) return false;
                Address = ip; Netmask = mask; UseDhcp = false; return true;
            }
            if (Is(key, "gw")) { if (!Ip.TryParse(value, out uint gw)) return false; Gateway = gw; return true; }
            if (Is(key, "kv.request_timeout")) { int n = Number(value); if (n < 1 || n > 3600) return false; KvRequestTimeoutSeconds = n; return true; }
            if (Is(key, "kv.workers")) { int n = Number(value); if (n < 1 || n > 1024) return false; KvWorkers = n; return true; }
            if (Is(key, "kv.port")) { int p = Number(value); if (p <= 0 || p > 65535) return false; KvPort = p; return true; }
            if (Is(key, "net.conns")) { int n = Number(value); if (n < 2 || n > 4096) return false; MaxConnections = n; return true; }
            if (Is(key, "net.rto_min"))
            {
                int ms = Number(value); if (ms < 10 || ms > 1000) return false;
                MinRtoMicroseconds = ms * 1000L; InitialRtoMicroseconds = ms * 1000L; return true;
            }
            if (Is(key, "net.rto_max"))
            {
                int ms = Number(value); if (ms < 1000 || ms > 60000) return false;
                MaxRtoMicroseconds = ms * 1000L; return true;
            }
            return false;
        }

        private static bool Is(ReadOnlySpan<byte> key, string name)
        {
            if (key.Length != name.Length) return false;
            for (int i = 0; i < key.Length; i++) if (key[i] != name[i]) return false;
            return true;
        }

        private static int Number(ReadOnlySpan<byte> v)
        {
            if (v.Length == 0 || v.Length > 7) return -1;
            int n = 0;
            for (int i = 0; i < v.Length; i++) { if (v[i] < '0' || v[i] > '9') return -1; n = n * 10 + (v[i] - '0'); }
            return n;
        }
    }
}
