using Molt.Net.Http;
using Molt.Update;

namespace Molt.Net.Kv
{
    /// <summary>
    /// The store as an updatable object (version 1). One shared
    /// representative; state moves between versions in format 1 (every
    /// key and value copied), so a patch can bring a new store live.
    /// </summary>
    public sealed class KvStoreFactory : UpdatableFactory
    {
        public int Slots = 4096;
        public long MaxBytes = 64L << 20;

        public KvStoreFactory() { Name = "kv.store"; Version = 1; ExportFormats = 1 << 1; ImportFormats = 1 << 1; PerCpu = false; }

        public override object CreateRepresentative(ObjectRoot root, int cpu) => new KvTable(Slots, MaxBytes);

        public override bool ImportState(object into, object from, int format)
        {
            if (format != 1 || !(into is KvTable to) || !(from is KvTable f)) return false;
            return to.CopyFrom(f);
        }

        public override bool SelfCheck(object representative) => representative is IKvStore s && s.Count >= 0;
    }

    /// <summary>The key-value service: the updatable store and an HTTP server in front of it.</summary>
    public static class KvService
    {
        private static UpdatableClass s_class;

        /// <summary>The store's class (created on first use): a patch updates it through this.</summary>
        public static UpdatableClass StoreClass => s_class ??= new UpdatableClass("kv.store", new KvStoreFactory());

        /// <summary>Creates a store object and serves it on <paramref name="port"/> with that many worker threads.</summary>
        public static HttpServer Start(NetStack stack, ushort port, int workers)
        {
            ObjectId id = StoreClass.Create();
            if (!id.IsValid) { Molt.Console.Log.Warn("kv", $"no updatable object slot left for the store"); return null; }
            var handler = new KvHandler { StoreId = id };
            var server = new HttpServer(stack, port, workers, 64, 8192, KvTable.MaxValue, handler);
            if (!server.Listening) { Molt.Console.Log.Warn("kv", $"cannot listen on the KV port"); return server; }
            server.StartWorkers();
            Molt.Console.Log.Info("kv", $"serving /kv/<key> over HTTP/1.1");
            return server;
        }
    }
}
