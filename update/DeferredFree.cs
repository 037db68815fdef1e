using Molt.Memory;

namespace Molt.Update
{
    /// <summary>
    /// Objects to free once no operation can still be using them: the old
    /// representatives and adapters of a swap. The owner fills it, waits for
    /// a quiescent point (<see cref="Quiescence.WaitForMarker"/>), then calls
    /// <see cref="FreeAll"/>. Grows by doubling; frees its own storage.
    /// </summary>
    public struct DeferredFree
    {
        private object[] _items;
        private UpdatableFactory[] _owners;
        private int _count;

        public int Count => _count;

        public void Add(object o) => Add(o, null);

        /// <summary>
        /// Adds a representative made by <paramref name="owner"/>: before it is
        /// freed, its factory releases what it owns (<see cref="UpdatableFactory.ReleaseRepresentative"/>).
        /// </summary>
        public void Add(object o, UpdatableFactory owner)
        {
            if (o == null) return;
            if (_items == null) { _items = new object[16]; _owners = new UpdatableFactory[16]; }
            if (_count == _items.Length)
            {
                var bigger = new object[_items.Length * 2];
                var biggerOwners = new UpdatableFactory[_items.Length * 2];
                for (int i = 0; i < _count; i++) { bigger[i] = _items[i]; biggerOwners[i] = _owners[i]; }
                Heap.Free(_items); Heap.Free(_owners);
                _items = bigger; _owners = biggerOwners;
            }
            _owners[_count] = owner;
            _items[_count++] = o;
        }

        public void FreeAll()
        {
            for (int i = 0; i < _count; i++)
            {
                if (_owners[i] != null) _owners[i].ReleaseRepresentative(_items[i]);
                Heap.Free(_items[i]); _items[i] = null; _owners[i] = null;
            }
            _count = 0;
            if (_items != null) { Heap.Free(_items); Heap.Free(_owners); _items = null; _owners = null; }
        }

        /// <summary>Adds every object to <paramref name="into"/> and forgets them here (a collection that could not wait long enough).</summary>
        public void MoveTo(ref DeferredFree into)
        {
            for (int i = 0; i < _count; i++) into.Add(_items[i], _owners[i]);
            Discard();
        }

        /// <summary>Forgets the objects without freeing them (they are still in use after an aborted swap).</summary>
        public void Discard()
        {
            _count = 0;
            if (_items != null) { Heap.Free(_items); Heap.Free(_owners); _items = null; _owners = null; }
        }
    }
}
