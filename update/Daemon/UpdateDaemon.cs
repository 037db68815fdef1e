using Molt.Console;
using Molt.Net;
using Molt.Net.Http;

namespace Molt.Update.Daemon
{
    /// <summary>
    /// Starts the update daemon (docs/update-daemon.md): an HTTP server on
    /// <c>update.port</c> (7777) with a few workers, each with a small body
    /// buffer for rollback requests, and one upload buffer of
    /// <c>update.max_bundle</c> bytes that a push borrows while it holds the
    /// update slot. Everything is allocated here, once, and kept for the
    /// kernel's life: a push allocates nothing, so a failed or abandoned one
    /// leaves nothing held.
    /// </summary>
    public static class UpdateDaemon
    {
        public const int DefaultPort = 7777;
        public const int DefaultMaxBundle = 4 * 1024 * 1024;
        /// <summary>Each worker's own body buffer: rollback requests, and the answers (JSON, the status page).</summary>
        public const int WorkerBuffer = 32 * 1024;
        public const int Workers = 4;

        private static HttpServer s_server;

        public static HttpServer Server => s_server;

        /// <summary>Boot, once, after the network stack: null (logged) when the daemon cannot start.</summary>
        public static HttpServer Start(NetStack stack, int port, int maxBundle)
        {
            UpdateHistory.Initialize();
            var handler = new DaemonHandler(new byte[maxBundle]);
            var server = new HttpServer(stack, (ushort)port, Workers, 16, 4096, maxBundle, handler, WorkerBuffer);
            if (!server.Listening) { Log.Warn("update", $"the daemon cannot listen on port {port}"); return null; }
            server.StartWorkers();
            s_server = server;
            Log.Info("update", $"daemon listening on port {port} (GET /, GET /status, POST /patches up to {maxBundle} bytes, POST /rollback)");
            return server;
        }
    }
}
