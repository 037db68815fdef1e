// Example patch 2: a data-layout change with state transfer (docs/patching.md).
// The v3 representative has new fields (the write count and the table's
// per-key versions in use); the transfer builds them from v2's state.
using System;
using Molt.Services.Kv;
using Molt.Update;
using Molt.Update.Patching;

namespace Patches.KvVersions
{
    public sealed unsafe class KvStoreV3 : KvStore
    {
        public KvTable Table = new KvTable();
        /// <summary>Puts since this version started serving (new state, not in v2).</summary>
        public long Writes;

        public override KvResult Get(ReadOnlySpan<byte> key, Span<byte> into, out int length) => Table.Get(key, into, out length);

        public override KvResult Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            KvResult r = Table.Set(key, value, versioned: true);
            if (r == KvResult.Ok) System.Threading.Interlocked.Increment(ref Writes);
            return r;
        }

        public override KvResult Delete(ReadOnlySpan<byte> key) => Table.Delete(key);
        public override int Count() => Table.Count;

        public override long VersionOf(ReadOnlySpan<byte> key)
        {
            Table.Lock.Lock();
            KvTable.Slot* s = Table.Find(key);
            long v = s != null ? s->Version : 0;
            Table.Lock.Unlock();
            return v;
        }

        public override int Implementation() => 3;
        public override KvTable Entries() => Table;
    }

    public sealed unsafe class KvStoreV3Factory : UpdatableFactory
    {
        public KvStoreV3Factory() { Name = "kv"; Version = 3; ExportFormats = KvStore.TableFormat; ImportFormats = KvStore.TableFormat; }

        public override object CreateRepresentative(ObjectRoot root, int cpu) => new KvStoreV3();

        /// <summary>Copies the entries; keys from a version without versions start at 1.</summary>
        public override bool ImportState(object into, object from, int format)
        {
            var store = (KvStoreV3)into;
            if (store.Table.CopyFrom(KvStore.EntriesOf(from), keepVersions: true) != KvResult.Ok) return false;
            for (int i = 0; i < store.Table.Capacity; i++)
            {
                KvTable.Slot* s = store.Table.At(i);
                if (s != null && s->Version == 0) s->Version = 1;
            }
            return true;
        }

        /// <summary>Every key has a version after the transfer.</summary>
        public override bool SelfCheck(object representative)
        {
            var store = (KvStoreV3)representative;
            for (int i = 0; i < store.Table.Capacity; i++)
            {
                KvTable.Slot* s = store.Table.At(i);
                if (s != null && s->Version < 1) return false;
            }
            return true;
        }

        public override object CreateAdapter(InterfaceKey interfaceType, object representative) => null;

        public override void ReleaseRepresentative(object representative)
        {
            var store = (KvStoreV3)representative;
            store.Table.Dispose();
            store.Table = null;
        }
    }

    public static class PatchMain
    {
        public static bool Register() => Patch.UpdateClass("kv", new KvStoreV3Factory());
    }
}
