using System;
using Molt.Memory;
using Molt.Update;

namespace Molt.Services.Kv
{
    /// <summary>
    /// Version 1 of the store, as the kernel ships it. It has a deliberate
    /// bug for the first example patch (examples/patches/kv-fix-case) to fix
    /// live: keys are folded to lower case, so <c>/kv/Apple</c> and
    /// <c>/kv/apple</c> are one key and the second PUT overwrites the first.
    /// </summary>
    public sealed unsafe class KvStoreV1 : KvStore
    {
        public KvTable Table = new KvTable();

        public override KvResult Get(ReadOnlySpan<byte> key, Span<byte> into, out int length)
        {
            length = 0;
            if (key.Length == 0 || key.Length > MaxKeyBytes) return KvResult.NotFound;
            byte* folded = stackalloc byte[key.Length];
            return Table.Get(Fold(key, folded), into, out length);
        }

        public override KvResult Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            if (key.Length == 0 || key.Length > MaxKeyBytes) return KvResult.TooLarge;
            byte* folded = stackalloc byte[key.Length];
            return Table.Set(Fold(key, folded), value, versioned: false);
        }

        public override KvResult Delete(ReadOnlySpan<byte> key)
        {
            if (key.Length == 0 || key.Length > MaxKeyBytes) return KvResult.NotFound;
            byte* folded = stackalloc byte[key.Length];
            return Table.Delete(Fold(key, folded));
        }

        // The bug: ASCII upper case becomes lower case.
        private static ReadOnlySpan<byte> Fold(ReadOnlySpan<byte> key, byte* into)
        {
            for (int i = 0; i < key.Length; i++) into[i] = key[i] >= 'A' && key[i] <= 'Z' ? (byte)(key[i] + 32) : key[i];
            return new ReadOnlySpan<byte>(into, key.Length);
        }

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
