#nullable disable
using System;
using Molt.Net.Tcp;

namespace Molt.Net.Http
{
    /// <summary>Reads and writes one accepted socket through a stack's blocking calls.</summary>
    public sealed class SocketTransport : IHttpTransport
    {
        public NetStack Stack;
        public TcpSocket Socket;
        public long WriteTimeoutMicroseconds = 30_000_000;

        public int Read(Span<byte> buffer, long timeoutMicroseconds) => Stack.Read(Socket, buffer, timeoutMicroseconds);
        public bool Write(ReadOnlySpan<byte> data) => Stack.Write(Socket, data, WriteTimeoutMicroseconds) == data.Length;
        /// <summary>The listener whose queue <see cref="OthersWaiting"/> looks at (-1: none).</summary>
        public int Listener = -1;
        public bool OthersWaiting => Listener >= 0 && Stack.QueuedConnections(Listener) > 0;
        public bool Delivered => Stack.Flush(Socket, 0);
    }

    /// <summary>
    /// An HTTP server: a listener and a fixed set of workers, each with its
    /// own session (parser, buffers) and transport, all allocated at start.
    /// A worker accepts a connection, serves it to the end, closes it and
    /// accepts the next; connections beyond the workers wait in the backlog,
    /// and beyond the backlog are refused with RST. The kernel runs each
    /// worker on its own thread (HttpServer.Kernel.cs).
    /// </summary>
    public sealed partial class HttpServer
    {
        public readonly NetStack Stack;
        public readonly IHttpHandler Handler;
        public readonly int Listener;
        public readonly HttpSession[] Sessions;
        private readonly SocketTransport[] _transports;
        public volatile bool Stopping;
        public long Connections;

        /// <param name="storedBody">Bytes of each worker's own body buffer when smaller than <paramref name="maxBody"/> (a handler that admits bodies into its own buffer: <see cref="IHttpAdmission"/>); -1 for maxBody.</param>
        public HttpServer(NetStack stack, ushort port, int workers, int backlog, int maxHead, int maxBody, IHttpHandler handler, int storedBody = -1)
        {
            Stack = stack; Handler = handler;
            Listener = stack.Listen(port, backlog);
            Sessions = new HttpSession[workers];
            _transports = new SocketTransport[workers];
            for (int i = 0; i < workers; i++)
            {
                Sessions[i] = new HttpSession(maxHead, maxBody, storedBody: storedBody);
                _transports[i] = new SocketTransport { Stack = stack, Listener = Listener };
            }
        }

        public bool Listening => Listener >= 0;

        /// <summary>Waits up to the time-out for one connection and serves it; false if none came.</summary>
        public bool ServeOne(int worker, long acceptTimeoutMicroseconds)
        {
            TcpSocket s = Stack.Accept(Listener, acceptTimeoutMicroseconds);
            if (!s.IsValid) return false;
            Connections++;
            // The head and the body leave in two writes: Nagle would hold the body back
            // until the head is acknowledged, a delayed-ACK stall per response.
            Stack.SetNoDelay(s, true);
            SocketTransport t = _transports[worker];
            t.Socket = s;
            Sessions[worker].Serve(t, Handler);
            Stack.Flush(s, 5_000_000);
            Stack.Close(s);
            t.Socket = default;
            return true;
        }

        /// <summary>Closes the listener and frees the workers' buffers (after the workers stopped).</summary>
        public void Free()
        {
            Stack.Unlisten(Listener);
            for (int i = 0; i < Sessions.Length; i++) { Sessions[i].Free(); NetPlatform.Free(Sessions[i]); NetPlatform.Free(_transports[i]); }
            NetPlatform.Free(Sessions); NetPlatform.Free(_transports);
        }
    }
}
