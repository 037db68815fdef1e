#nullable disable
namespace Molt.Net
{
    /// <summary>
    /// Everything the stack counts. Each dropped frame or segment is counted
    /// under exactly one Drop* reason; the rest count events.
    /// </summary>
    public enum NetCounter
    {
        None = 0,
        // drops
        DropTruncated, DropBadLength, DropBadChecksum, DropUnknownEtherType, DropNotForUs,
        DropArpMalformed, DropIpVersion, DropFragment, DropUnknownProtocol, DropIcmpType,
        DropUdpNoListener, DropTcpBadOption, DropTcpBadPort, DropTcpNoConnection, DropTcpOutOfWindow,
        DropTcpBadAck, DropTcpNoAck, DropTcpReassemblyFull, DropTcpBacklogFull, DropTcpNoMemory,
        DropTcpState, DropDhcp, DropSourceAddress,
        // events
        RxFrames, RxAccepted, RxDropped, TxFrames, TxDeviceFull, TxNoRoute, ArpRequestsSent, ArpRepliesSent, ArpPendingDropped,
        IcmpEchoReplied, IcmpEchoRepliesReceived,
        TcpSegmentsIn, TcpSegmentsOut, TcpRetransmitTimeouts, TcpFastRetransmits, TcpDuplicateAcks,
        TcpWindowProbes, TcpWindowUpdates, TcpResetsSent, TcpResetsReceived, TcpOutOfOrder,
        TcpConnectionsOpened, TcpConnectionsAccepted, TcpTimeWaitRecycled, TcpConnectionsTimedOut,
        DhcpBound,
        Count
    }

    /// <summary>The counters of one stack instance (read them without the lock: they are statistics).</summary>
    public sealed class NetCounters
    {
        public readonly long[] Values = new long[(int)NetCounter.Count];
        public long this[NetCounter c] => Values[(int)c];
        public void Add(NetCounter c) => Values[(int)c]++;

        /// <summary>Sum of every Drop* counter.</summary>
        public long TotalDrops
        {
            get
            {
                long s = 0;
                for (int i = (int)NetCounter.DropTruncated; i <= (int)NetCounter.DropSourceAddress; i++) s += Values[i];
                return s;
            }
        }

        public static bool IsDrop(NetCounter c) => c >= NetCounter.DropTruncated && c <= NetCounter.DropSourceAddress;
    }
}
