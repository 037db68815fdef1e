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
        private int _count;

        public int Count => _count;

        public void Add(object o)
        {
            if (o == null) return;
            if (_items == null) _items = new object[16];
            if (_count == _items.Length)
            {
                var bigger = new object[_items.Length * 2];
                for (int i = 0; i < _count; i++) bigger[i] = _items[i];
                Heap.Free(_items);
                _items = bigger;
            }
            _items[_count++] = o;
        }

        public void FreeAll()
        {
            for (int i = 0; i < _count; i++) { Heap.Free(_items[i]); _items[i] = null; }
            _count = 0;
            if (_items != null) { Heap.Free(_items); _items = null; }
        }

        /// <summary>Adds every object to <paramref name="into"/> and forgets them here (a collection that could not wait long enough).</summary>
        public void MoveTo(ref DeferredFree into)
        {
            for (int i = 0; i < _count; i++) into.Add(_items[i]);
            Discard();
        }

        /// <summary>Forgets the objects without freeing them (they are still in use after an aborted swap).</summary>
        public void Discard()
        {
            _count = 0;
            if (_items != null) { Heap.Free(_items); _items = null; }
        }
    }
}
