using Molt.Memory;
using Molt.Smp;
using Molt.Threading;
using Molt.Update;

namespace Molt.Update.Tests
{
    // Updatable classes used by the update tests: a per-CPU counter, a small
    // key-value map whose interface gains a parameter in version 2, and a
    // client of the map. Format bits: 1 = plain state, 2 = version 2's state.

    public interface ICounter
    {
        void Increment();
        long Total();
        int Version { get; }
    }

    /// <summary>One representative per CPU; the total sums every CPU's count through the root.</summary>
    public sealed class CounterRep : ICounter
    {
        public ObjectRoot Root;
        public long Count;
        public int V;
        public void Increment() => Count++;
        public long Total()
        {
            long sum = 0;
            for (int i = 0; i < Root.RepresentativeCount; i++) sum += ((CounterRep)Root.Representative(i)).Count;
            return sum;
        }
        public int Version => V;
    }

    public sealed class CounterFactory : BasicFactory
    {
        public bool FailImport, FailSelfCheck;
        public ulong SlowImportNs;

        public CounterFactory(int version, uint exports, uint imports)
        {
            Name = "counter"; Version = version; ExportFormats = exports; ImportFormats = imports; PerCpu = true;
        }

        public override object CreateRepresentative(ObjectRoot root, int cpu) => new CounterRep { Root = root, V = Version };

        public override bool ImportState(object into, object from, int format)
        {
            if (SlowImportNs != 0) Scheduler.Sleep(SlowImportNs);
            if (FailImport) return false;
            ((CounterRep)into).Count = ((CounterRep)from).Count;
            return true;
        }

        public override bool SelfCheck(object representative) => !FailSelfCheck && ((CounterRep)representative).Count >= 0;
    }

    public interface IKeyValueV1
    {
        void Put(int key, int value);
        int Get(int key);
    }

    /// <summary>Version 2's interface: Put gains a time-to-live.</summary>
    public interface IKeyValueV2
    {
        void Put(int key, int value, int ttl);
        int Get(int key);
        int Ttl(int key);
    }

    public sealed class KeyValueV1 : IKeyValueV1
    {
        public const int Size = 256;
        public int[] Values = new int[Size];
        public void Put(int key, int value) => Values[key & (Size - 1)] = value;
        public int Get(int key) => Values[key & (Size - 1)];
    }

    public sealed class KeyValueV2 : IKeyValueV2
    {
        public int[] Values = new int[KeyValueV1.Size];
        public int[] Ttls = new int[KeyValueV1.Size];
        public void Put(int key, int value, int ttl) { Values[key & (KeyValueV1.Size - 1)] = value; Ttls[key & (KeyValueV1.Size - 1)] = ttl; }
        public int Get(int key) => Values[key & (KeyValueV1.Size - 1)];
        public int Ttl(int key) => Ttls[key & (KeyValueV1.Size - 1)];
    }

    /// <summary>Presents version 1's interface over a version 2 object, for callers not yet updated.</summary>
    public sealed class KeyValueV1OverV2 : IKeyValueV1
    {
        public KeyValueV2 Inner;
        public void Put(int key, int value) => Inner.Put(key, value, 0);
        public int Get(int key) => Inner.Get(key);
    }

    public sealed class KeyValueFactoryV1 : BasicFactory
    {
        public KeyValueFactoryV1() { Name = "kv"; Version = 1; ExportFormats = 1 << 1; ImportFormats = (1 << 1) | (1 << 2); }
        public override object CreateRepresentative(ObjectRoot root, int cpu) => new KeyValueV1();
        public override bool ImportState(object into, object from, int format)
        {
            var to = (KeyValueV1)into;
            if (from is KeyValueV1 a) { for (int i = 0; i < KeyValueV1.Size; i++) to.Values[i] = a.Values[i]; return true; }
            if (from is KeyValueV2 b) { for (int i = 0; i < KeyValueV1.Size; i++) to.Values[i] = b.Values[i]; return true; }
            return false;
        }
    }

    public sealed class KeyValueFactoryV2 : BasicFactory
    {
        public KeyValueFactoryV2() { Name = "kv"; Version = 2; ExportFormats = (1 << 1) | (1 << 2); ImportFormats = (1 << 1) | (1 << 2); }
        public override object CreateRepresentative(ObjectRoot root, int cpu) => new KeyValueV2();
        public override bool ImportState(object into, object from, int format)
        {
            var to = (KeyValueV2)into;
            if (from is KeyValueV1 a) { for (int i = 0; i < KeyValueV1.Size; i++) to.Values[i] = a.Values[i]; return true; }
            if (from is KeyValueV2 b) { for (int i = 0; i < KeyValueV1.Size; i++) { to.Values[i] = b.Values[i]; to.Ttls[i] = b.Ttls[i]; } return true; }
            return false;
        }
        public override object CreateAdapter(InterfaceKey type, object representative)
            => type == InterfaceKey.Of<IKeyValueV1>() ? new KeyValueV1OverV2 { Inner = (KeyValueV2)representative } : null;
    }

    /// <summary>A client of the map: version 1 calls the old Put, version 2 the new one with a time-to-live.</summary>
    public interface IClient { void Store(ObjectId map, int key, int value); int Version { get; } }

    public sealed class ClientV1 : IClient
    {
        public void Store(ObjectId map, int key, int value) { using (var kv = Objects.Use<IKeyValueV1>(map)) kv.Target.Put(key, value); }
        public int Version => 1;
    }

    public sealed class ClientV2 : IClient
    {
        public void Store(ObjectId map, int key, int value) { using (var kv = Objects.Use<IKeyValueV2>(map)) kv.Target.Put(key, value, 7); }
        public int Version => 2;
    }

    public sealed class ClientFactory : BasicFactory
    {
        public ClientFactory(int version) { Name = "client"; Version = version; ExportFormats = 1 << 1; ImportFormats = 1 << 1; }
        public override object CreateRepresentative(ObjectRoot root, int cpu) => Version == 1 ? new ClientV1() : new ClientV2();
        public override bool ImportState(object into, object from, int format) => true; // stateless
    }

    /// <summary>An object whose method parks, optionally calling another object: for quiescence and cycle tests.</summary>
    public interface IParking { void Enter(ObjectId next, Event inside, Event proceed); }

    public sealed class ParkingRep : IParking
    {
        public int Calls;
        public void Enter(ObjectId next, Event inside, Event proceed)
        {
            Calls++;
            if (inside != null) inside.Set();
            if (proceed != null) proceed.Wait();
            if (next.IsValid)
                using (var n = Objects.Use<IParking>(next)) n.Target.Enter(default, null, null);
        }
    }

    public sealed class ParkingFactory : BasicFactory
    {
        public ParkingFactory(int version) { Name = "parking"; Version = version; ExportFormats = 1 << 1; ImportFormats = 1 << 1; }
        public override object CreateRepresentative(ObjectRoot root, int cpu) => new ParkingRep();
        public override bool ImportState(object into, object from, int format) { ((ParkingRep)into).Calls = ((ParkingRep)from).Calls; return true; }
    }

    /// <summary>One of many small instances, for lazy conversion.</summary>
    public interface ICell { int Value { get; } int Version { get; } }
    public sealed class Cell : ICell { public int V; public int Ver; public int Value => V; public int Version => Ver; }

    public sealed class CellFactory : BasicFactory
    {
        public int NextValue;
        public CellFactory(int version) { Name = "cell"; Version = version; ExportFormats = 1 << 1; ImportFormats = 1 << 1; }
        public override object CreateRepresentative(ObjectRoot root, int cpu) => new Cell { V = NextValue, Ver = Version };
        public override bool ImportState(object into, object from, int format) { ((Cell)into).V = ((Cell)from).V; return true; }
    }
}
