using System;
using Molt.Net.Http;
using Molt.Threading;

namespace Molt.Update.Daemon
{
    public enum UpdateEvent : byte { Applied, Refused, RolledBack }

    /// <summary>One line of the daemon's history: what happened to which patch, when, and how long it took.</summary>
    public unsafe struct HistoryEntry
    {
        public const int NameCapacity = 64;

        public UpdateEvent Event;
        public int Level;
        public ulong Sequence;
        public ulong AtMs, TotalUs, MaxBlockedUs;
        /// <summary>A constant sentence (refusals), or null.</summary>
        public string Reason;
        private int _nameLength;
        private fixed byte _name[NameCapacity];

        public ReadOnlySpan<byte> Name { get { fixed (byte* p = _name) return new ReadOnlySpan<byte>(p, _nameLength); } }

        public void SetName(ReadOnlySpan<byte> name)
        {
            int n = name.Length < NameCapacity ? name.Length : NameCapacity;
            for (int i = 0; i < n; i++) _name[i] = name[i];
            _nameLength = n;
        }

        public void SetName(string name)
        {
            int n = (object)name == null ? 0 : name.Length < NameCapacity ? name.Length : NameCapacity;
            for (int i = 0; i < n; i++) _name[i] = name[i] < 0x80 ? (byte)name[i] : (byte)'?';
            _nameLength = n;
        }
    }

    /// <summary>
    /// The last <see cref="Capacity"/> update events (applied, refused,
    /// rolled back), oldest first, for <c>GET /status</c>. A fixed ring of
    /// structs in the kernel image's statics: recording never allocates.
    /// </summary>
    public static class UpdateHistory
    {
        public const int Capacity = 32;

        private static HistoryEntry[] s_ring;
        private static int s_next, s_count;
        private static SpinLock s_lock;

        /// <summary>Boot, once, before the daemon serves.</summary>
        public static void Initialize() { if (s_ring == null) s_ring = new HistoryEntry[Capacity]; }

        public static int Count => s_count;

        public static void Record(in HistoryEntry entry)
        {
            bool irq = s_lock.Acquire();
            s_ring[s_next] = entry;
            s_next = (s_next + 1) % Capacity;
            if (s_count < Capacity) s_count++;
            s_lock.Release(irq);
        }

        /// <summary>Writes the ring as a JSON array, oldest first.</summary>
        public static void Write(ref JsonWriter json)
        {
            json.BeginArray();
            bool irq = s_lock.Acquire();
            int first = (s_next - s_count + Capacity) % Capacity;
            for (int i = 0; i < s_count; i++)
            {
                ref HistoryEntry e = ref s_ring[(first + i) % Capacity];
                json.BeginObject();
                json.Field("event", e.Event == UpdateEvent.Applied ? "applied" : e.Event == UpdateEvent.Refused ? "refused" : "rolled_back");
                json.Field("name", e.Name);
                json.Field("sequence", e.Sequence);
                json.Field("level", (long)e.Level);
                json.Field("at_ms", e.AtMs);
                json.Field("total_us", e.TotalUs);
                json.Field("max_blocked_us", e.MaxBlockedUs);
                json.Field("reason", (object)e.Reason == null ? "" : e.Reason);
                json.EndObject();
            }
            s_lock.Release(irq);
            json.EndArray();
        }
    }
}
