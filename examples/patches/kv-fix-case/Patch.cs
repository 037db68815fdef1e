// Example patch 1: a bug fix, code only (docs/patching.md).
// Build: build/host/molt patch build examples/patches/kv-fix-case
using System;
using Molt.Services.Kv;
using Molt.Update;
using Molt.Update.Patching;

namespace Patches.KvFixCase
{
    /// <summary>The v1 store without its key folding: keys are compared byte for byte, as HTTP paths are.</summary>
    public sealed class KvStoreV2 : KvStore
    {
        public KvTable Table = new KvTable();

        public override KvResult Get(ReadOnlySpan<byte> key, Span<byte> into, out int length) => Table.Get(key, into, out length);
        public override KvResult Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Table.Set(key, value, versioned: false);
        public override KvResult Delete(ReadOnlySpan<byte> key) => Table.Delete(key);
        public override int Count() => Table.Count;
        public override long VersionOf(ReadOnlySpan<byte> key) => 0;
        public override int Implementation() => 2;
        public override KvTable Entries() => Table;
    }

    public sealed class KvStoreV2Factory : UpdatableFactory
    {
        public KvStoreV2Factory() { Name = "kv"; Version = 2; ExportFormats = KvStore.TableFormat; ImportFormats = KvStore.TableFormat; }

        public override object CreateRepresentative(ObjectRoot root, int cpu) => new KvStoreV2();

        public override bool ImportState(object into, object from, int format) =>
            ((KvStoreV2)into).Table.CopyFrom(KvStore.EntriesOf(from), keepVersions: false) == KvResult.Ok;

        public override bool SelfCheck(object representative) => ((KvStoreV2)representative).Table != null;
        public override object CreateAdapter(InterfaceKey interfaceType, object representative) => null;

        public override void ReleaseRepresentative(object representative)
        {
            var store = (KvStoreV2)representative;
            store.Table.Dispose();
            store.Table = null;
        }
    }

    public static class PatchMain
    {
        public static bool Register() => Patch.UpdateClass("kv", new KvStoreV2Factory());
    }
}
