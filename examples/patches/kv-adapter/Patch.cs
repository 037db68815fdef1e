// Example patch 3: an interface change with an adapter (docs/patching.md).
// v4's representative is not a KvStore: it is an engine with a new
// interface (it adds Append). Callers compiled against KvStore (the whole
// kernel) keep working: the object table hands them an adapter that
// presents KvStore over the engine (UpdatableFactory.CreateAdapter).
using System;
using Molt.Services.Kv;
using Molt.Update;
using Molt.Update.Patching;

namespace Patches.KvAdapter
{
    /// <summary>The new interface, for callers built against v4.</summary>
    public abstract class KvEngine : IKvEntries<KvTable>
    {
        public abstract KvResult Read(ReadOnlySpan<byte> key, Span<byte> into, out int length);
        public abstract KvResult Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
        /// <summary>New in v4: adds bytes to the end of a key's value (creating it).</summary>
        public abstract KvResult Append(ReadOnlySpan<byte> key, ReadOnlySpan<byte> tail);
        public abstract KvResult Remove(ReadOnlySpan<byte> key);
        public abstract int Keys();
        public abstract long Revision(ReadOnlySpan<byte> key);
        public abstract KvTable Entries();
    }

    public sealed unsafe class KvEngineV4 : KvEngine
    {
        public KvTable Table = new KvTable();

        public override KvResult Read(ReadOnlySpan<byte> key, Span<byte> into, out int length) => Table.Get(key, into, out length);
        public override KvResult Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Table.Set(key, value, versioned: true);

        public override KvResult Append(ReadOnlySpan<byte> key, ReadOnlySpan<byte> tail)
        {
            Table.Lock.Lock();
            KvTable.Slot* s = Table.Find(key);
            int old = s != null ? s->ValueLength : 0;
            if (old + tail.Length > KvStore.MaxValueBytes) { Table.Lock.Unlock(); return KvResult.TooLarge; }
            byte* joined = (byte*)Molt.Memory.Heap.Allocate((uint)(old + tail.Length + 1));
            if (joined == null) { Table.Lock.Unlock(); return KvResult.OutOfMemory; }
            if (s != null) new ReadOnlySpan<byte>(s->Value, old).CopyTo(new Span<byte>(joined, old));
            tail.CopyTo(new Span<byte>(joined + old, tail.Length));
            KvResult r = Table.SetLocked(key, joined, old + tail.Length, 1);
            Table.Lock.Unlock();
            if (r != KvResult.Ok) Molt.Memory.Heap.Free(joined);
            return r;
        }

        public override KvResult Remove(ReadOnlySpan<byte> key) => Table.Delete(key);
        public override int Keys() => Table.Count;

        public override long Revision(ReadOnlySpan<byte> key)
        {
            Table.Lock.Lock();
            KvTable.Slot* s = Table.Find(key);
            long v = s != null ? s->Version : 0;
            Table.Lock.Unlock();
            return v;
        }

        public override KvTable Entries() => Table;
    }

    /// <summary>KvStore over the v4 engine, for callers built against KvStore.</summary>
    public sealed class KvStoreOnEngine : KvStore
    {
        public KvEngine Engine;

        public override KvResult Get(ReadOnlySpan<byte> key, Span<byte> into, out int length) => Engine.Read(key, into, out length);
        public override KvResult Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Engine.Write(key, value);
        public override KvResult Delete(ReadOnlySpan<byte> key) => Engine.Remove(key);
        public override int Count() => Engine.Keys();
        public override long VersionOf(ReadOnlySpan<byte> key) => Engine.Revision(key);
        public override int Implementation() => 4;
        public override KvTable Entries() => Engine.Entries();
    }

    public sealed unsafe class KvEngineV4Factory : UpdatableFactory
    {
        public KvEngineV4Factory() { Name = "kv"; Version = 4; ExportFormats = KvStore.TableFormat; ImportFormats = KvStore.TableFormat; }

        public override object CreateRepresentative(ObjectRoot root, int cpu) => new KvEngineV4();

        public override bool ImportState(object into, object from, int format) =>
            ((KvEngineV4)into).Table.CopyFrom(KvStore.EntriesOf(from), keepVersions: true) == KvResult.Ok;

        public override bool SelfCheck(object representative) => ((KvEngineV4)representative).Table != null;

        public override object CreateAdapter(InterfaceKey interfaceType, object representative)
        {
            if (interfaceType != InterfaceKey.Of<KvStore>()) return null;
            return new KvStoreOnEngine { Engine = (KvEngine)representative };
        }

        public override void ReleaseRepresentative(object representative)
        {
            var engine = (KvEngineV4)representative;
            engine.Table.Dispose();
            engine.Table = null;
        }
    }

    public static class PatchMain
    {
        public static bool Register() => Patch.UpdateClass("kv", new KvEngineV4Factory());
    }
}
