// Example patch 4: a new type (docs/patching.md). It publishes a new
// updatable class, "kv-audit", whose store is the patch's own type; kernel
// code reaches it through KvStore like the main store, and later patches
// can link against AuditStore and name the class.
using System;
using Molt.Services.Kv;
using Molt.Update;
using Molt.Update.Patching;

namespace Patches.KvAudit
{
    public sealed class AuditStore : KvStore
    {
        public KvTable Table = new KvTable();
        public long Writes;

        public override KvResult Get(ReadOnlySpan<byte> key, Span<byte> into, out int length) => Table.Get(key, into, out length);

        public override KvResult Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            System.Threading.Interlocked.Increment(ref Writes);
            return Table.Set(key, value, versioned: true);
        }

        public override KvResult Delete(ReadOnlySpan<byte> key) => Table.Delete(key);
        public override int Count() => Table.Count;
        public override long VersionOf(ReadOnlySpan<byte> key) => Writes;
        public override int Implementation() => 101;
        public override KvTable Entries() => Table;
    }

    public sealed class AuditStoreFactory : UpdatableFactory
    {
        public AuditStoreFactory() { Name = "kv-audit"; Version = 1; ExportFormats = KvStore.TableFormat; ImportFormats = KvStore.TableFormat; }

        public override object CreateRepresentative(ObjectRoot root, int cpu) => new AuditStore();

        public override bool ImportState(object into, object from, int format) =>
            ((AuditStore)into).Table.CopyFrom(KvStore.EntriesOf(from), keepVersions: true) == KvResult.Ok;

        public override bool SelfCheck(object representative) => true;
        public override object CreateAdapter(InterfaceKey interfaceType, object representative) => null;

        public override void ReleaseRepresentative(object representative)
        {
            var store = (AuditStore)representative;
            store.Table.Dispose();
            store.Table = null;
        }
    }

    public static class PatchMain
    {
        public static bool Register() => Patch.Publish(new UpdatableClass("kv-audit", new AuditStoreFactory()));
    }
}
