#nullable disable
namespace Molt.Net.Tcp
{
    public enum TcpState
    {
        Closed, Listen, SynSent, SynReceived, Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait
    }

    /// <summary>Results of socket calls: a count (>= 0) or one of these.</summary>
    public static class TcpError
    {
        public const int WouldBlock = -1;
        public const int Reset = -2;      // the peer reset the connection
        public const int TimedOut = -3;   // retransmissions gave up, or the caller's time-out passed
        public const int Closed = -4;     // the socket was closed or is not connected
        public const int Refused = -5;    // connect: RST in answer to our SYN
        public const int NoResources = -6;// no free control block or port
        public const int BadHandle = -7;  // a stale or invalid socket handle
    }
}
