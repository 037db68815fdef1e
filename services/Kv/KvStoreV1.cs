using System;
using Molt.Memory;
using Molt.Update;

namespace Molt.Services.Kv
{
    /// <summary>
    /// Version 1 of the store, as the kernel ships it. It has a deliberate
    /// bug for the first example patch (examples/patches/kv-fix-put) to fix
    /// live: a Put to an existing key writes the new value over the old
    /// one's bytes and keeps the old length, so a longer value is cut and a
    /// shorter one keeps the old value's tail.
    /// </summary>
    public sealed unsafe class KvStoreV1 : KvStore
    {
        public KvTable Table = new KvTable();

        public override KvResult Get(ReadOnlySpan<byte> key, Span<byte> into, out int length) => Table.Get(key, into, out length);

        public override KvResult Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            if (key.Length == 0 || key.Length > MaxKeyBytes || value.Length > MaxValueBytes) return KvResult.TooLarge;
            Table.Lock.Lock();
            KvTable.Slot* s = Table.Find(key);
            if (s != null)
            {
                // The bug: the old block and the old length stay.
                int n = value.Length < s->ValueLength ? value.Length : s->ValueLength;
                value.Slice(0, n).CopyTo(new Span<byte>(s->Value, n));
                Table.Lock.Unlock();
                return KvResult.Ok;
            }
            Table.Lock.Unlock();
            return Table.Set(key, value, versioned: false);
        }

        public override KvResult Delete(ReadOnlySpan<byte> key) => Table.Delete(key);
        public override int Count() => Table.Count;
        public override long VersionOf(ReadOnlySpan<byte> key) => 0;
        public override int Implementation() => 1;
        public override KvTable Entries() => Table;
    }

    /// <summary>
    /// Makes v1 stores. State transfer (both ways, for updates and
    /// rollbacks) uses format 1: "a KvTable reachable through the
    /// representative's Table field, or through <see cref="KvStates.TableOf"/>";
    /// the importer copies it (the old version keeps serving if the swap fails).
    /// </summary>
    public sealed class KvStoreV1Factory : UpdatableFactory
    {
        public KvStoreV1Factory() { Name = "kv"; Version = 1; ExportFormats = KvStore.TableFormat; ImportFormats = KvStore.TableFormat; }

        public override object CreateRepresentative(ObjectRoot root, int cpu) => new KvStoreV1();

        public override bool ImportState(object into, object from, int format) =>
            ((KvStoreV1)into).Table.CopyFrom(KvStore.EntriesOf(from), keepVersions: false) == KvResult.Ok;

        public override bool SelfCheck(object representative) => ((KvStoreV1)representative).Table != null;
        public override object CreateAdapter(InterfaceKey interfaceType, object representative) => null;

        public override void ReleaseRepresentative(object representative)
        {
            var store = (KvStoreV1)representative;
            store.Table.Dispose();
            store.Table = null;
        }
    }
}
