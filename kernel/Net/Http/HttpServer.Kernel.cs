using Molt.Memory;
using Molt.Threading;
using Thread = Molt.Threading.Thread;

namespace Molt.Net.Http
{
    /// <summary>The kernel's HTTP workers: one thread per session, accepting in turn.</summary>
    public sealed unsafe partial class HttpServer
    {
        private sealed class Worker { public HttpServer Server; public int Index; public Thread Thread; }
        private Worker[] _workers;

        /// <summary>Starts one thread per worker; false if a thread could not be made (those started keep running).</summary>
        public bool StartWorkers()
        {
            _workers = new Worker[Sessions.Length];
            bool ok = true;
            for (int i = 0; i < _workers.Length; i++)
            {
                Worker w = new Worker { Server = this, Index = i };
                _workers[i] = w;
                w.Thread = Scheduler.Spawn(&Run, ObjectRef.AddressOf(w), "http");
                ok &= w.Thread != null;
            }
            return ok;
        }

        private static void Run(nint arg)
        {
            Worker w = ObjectRef.FromAddress<Worker>(arg);
            while (!w.Server.Stopping)
            {
                w.Server.ServeOne(w.Index, 500_000); // idle workers wake twice a second to see Stopping
                Operations.Checkpoint();
            }
        }

        /// <summary>Stops accepting, waits for every worker to finish its connection, frees them.</summary>
        public void StopWorkers()
        {
            Stopping = true;
            if (_workers == null) return;
            for (int i = 0; i < _workers.Length; i++)
            {
                Worker w = _workers[i];
                if (w.Thread != null) { w.Thread.Join(); Heap.Free(w.Thread); }
                Heap.Free(w);
            }
            Heap.Free(_workers);
            _workers = null;
        }
    }
}
