using Molt.Memory;

namespace Molt.Update
{
    /// <summary>
    /// One applied update (one patch): what it changed, kept so it can be
    /// undone. Level N is the N-th record on <see cref="UpdateManager"/>'s
    /// stack; rollback pops them from the top (N, then N-1, ...).
    /// Owned by the update manager: made at commit, freed when rolled back.
    /// <see cref="Name"/> is the request's name, not copied (use a literal
    /// or a string that lives as long as the kernel). Factories are never
    /// freed (they live as long as the kernel), so the record only holds them.
    /// </summary>
    internal sealed class LevelRecord
    {
        public string Name;
        public int[] Ids;
        public UpdatableFactory[] IdFrom;
        public UpdatableFactory[] IdTo;
        public int IdCount;
        public UpdatableClass[] Classes;
        public UpdatableFactory[] ClassFrom;
        public UpdatableFactory[] ClassTo;
        public bool[] Lazy;
        public int ClassCount;

        public static LevelRecord Make(string name, int ids, int classes)
        {
            var r = new LevelRecord();
            r.Name = name;
            r.Ids = new int[ids > 0 ? ids : 1];
            r.IdFrom = new UpdatableFactory[r.Ids.Length];
            r.IdTo = new UpdatableFactory[r.Ids.Length];
            r.Classes = new UpdatableClass[classes > 0 ? classes : 1];
            r.ClassFrom = new UpdatableFactory[r.Classes.Length];
            r.ClassTo = new UpdatableFactory[r.Classes.Length];
            r.Lazy = new bool[r.Classes.Length];
            return r;
        }

        public void Free()
        {
            Heap.Free(Ids); Heap.Free(IdFrom); Heap.Free(IdTo);
            Heap.Free(Classes); Heap.Free(ClassFrom); Heap.Free(ClassTo); Heap.Free(Lazy);
            Heap.Free(this);
        }
    }

    /// <summary>The stack of applied levels (grows by doubling; the update manager's, under its lock).</summary>
    internal struct LevelStack
    {
        private LevelRecord[] _records;
        private int _depth;

        public int Depth => _depth;
        public LevelRecord Top => _depth == 0 ? null : _records[_depth - 1];
        public LevelRecord At(int level) => level >= 1 && level <= _depth ? _records[level - 1] : null;

        public void Push(LevelRecord r)
        {
            if (_records == null) _records = new LevelRecord[16];
            if (_depth == _records.Length)
            {
                var bigger = new LevelRecord[_records.Length * 2];
                for (int i = 0; i < _depth; i++) bigger[i] = _records[i];
                Heap.Free(_records);
                _records = bigger;
            }
            _records[_depth++] = r;
            System.Threading.Volatile.Write(ref _depth, _depth);
        }

        public LevelRecord Pop()
        {
            LevelRecord r = _records[_depth - 1];
            _records[_depth - 1] = null;
            System.Threading.Volatile.Write(ref _depth, _depth - 1);
            return r;
        }
    }
}
