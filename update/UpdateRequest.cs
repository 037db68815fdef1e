using Molt.Memory;

namespace Molt.Update
{
    /// <summary>
    /// What one update (one patch) changes, applied as one unit by
    /// <see cref="UpdateManager.Apply"/>: objects with their new factories,
    /// and classes whose factory changes, their instances converted eagerly
    /// (in the same hot swap as the objects) or lazily (on next access).
    ///
    /// Each Add checks the entry against the request and the kernel as they
    /// are: an unknown object, an object or class listed twice (an object
    /// is also "listed" by its class), a version not newer than the one
    /// serving, a full request. The first refusal is kept in
    /// <see cref="Error"/> (with the object or class); the request then
    /// stays refused, and <see cref="UpdateManager.Apply"/> reports it without
    /// changing anything. Apply checks the versions again (another update
    /// may have run since).
    ///
    /// Memory: <see cref="Create"/> allocates the request and its arrays
    /// once; the caller frees them with <see cref="Free"/>. Apply only reads
    /// the request (the level it records is the update manager's own copy),
    /// so the request may be freed or reused right after.
    /// </summary>
    public sealed class UpdateRequest
    {
        public string Name;
        internal int[] Ids;
        internal UpdatableFactory[] ObjectTo;
        internal int ObjectCount;
        internal UpdatableClass[] Classes;
        internal UpdatableFactory[] ClassTo;
        internal bool[] ClassLazy;
        internal int ClassCount;

        /// <summary>The first refusal (a string literal), or null while the request is valid.</summary>
        public string Error;
        public int ErrorObject;
        public string ErrorClass;

        public bool IsValid => Error == null;
        public int ObjectEntries => ObjectCount;
        public int ClassEntries => ClassCount;

        /// <summary>A request for up to <paramref name="maxObjects"/> objects and <paramref name="maxClasses"/> classes. Free it with <see cref="Free"/>.</summary>
        public static UpdateRequest Create(string name, int maxObjects, int maxClasses)
        {
            var r = new UpdateRequest();
            r.Name = name;
            r.Ids = new int[maxObjects > 0 ? maxObjects : 1];
            r.ObjectTo = new UpdatableFactory[r.Ids.Length];
            r.Classes = new UpdatableClass[maxClasses > 0 ? maxClasses : 1];
            r.ClassTo = new UpdatableFactory[r.Classes.Length];
            r.ClassLazy = new bool[r.Classes.Length];
            return r;
        }

        /// <summary>The class of entry <paramref name="i"/> (0 &lt;= i &lt; <see cref="ClassEntries"/>).</summary>
        public UpdatableClass ClassAt(int i) => (uint)i < (uint)ClassCount ? Classes[i] : null;

        /// <summary>The factory entry <paramref name="i"/> switches its class to.</summary>
        public UpdatableFactory ClassTargetAt(int i) => (uint)i < (uint)ClassCount ? ClassTo[i] : null;

        /// <summary>
        /// Frees the request and the factories it names: for a request that
        /// was never applied, or was refused (then nothing else refers to
        /// them), such as a patch's when the patch fails.
        /// </summary>
        public void FreeWithFactories()
        {
            for (int i = 0; i < ClassCount; i++) Heap.Free(ClassTo[i]);
            for (int i = 0; i < ObjectCount; i++) Heap.Free(ObjectTo[i]);
            Free();
        }

        public void Free()
        {
            Heap.Free(Ids); Heap.Free(ObjectTo);
            Heap.Free(Classes); Heap.Free(ClassTo); Heap.Free(ClassLazy);
            Heap.Free(this);
        }

        private bool Refuse(string reason, int objectId, string className)
        {
            if (Error == null) { Error = reason; ErrorObject = objectId; ErrorClass = className; }
            return false;
        }

        /// <summary>Swap object <paramref name="id"/> to <paramref name="to"/>. False (and <see cref="Error"/>) if refused.</summary>
        public bool AddObject(ObjectId id, UpdatableFactory to)
        {
            if (Error != null) return false;
            ObjectRoot root = Objects.Root(id);
            if (!id.IsValid || root == null) return Refuse("the request names an object id that does not exist", id.Value, null);
            if (to == null) return Refuse("no factory given for the object", id.Value, root.Class?.Name);
            if (ObjectCount == Ids.Length) return Refuse("the request is full (more objects than it was made for)", id.Value, root.Class?.Name);
            for (int i = 0; i < ObjectCount; i++)
                if (Ids[i] == id.Value) return Refuse("the request lists the object twice", id.Value, root.Class?.Name);
            for (int i = 0; i < ClassCount; i++)
                if (Classes[i] == root.Class) return Refuse("the request lists the object and also its class", id.Value, root.Class.Name);
            if (to.Version <= root.Version) return Refuse("the new version is not newer than the one serving the object", id.Value, root.Class?.Name);
            Ids[ObjectCount] = id.Value;
            ObjectTo[ObjectCount] = to;
            ObjectCount++;
            return true;
        }

        /// <summary>
        /// Switch class <paramref name="cls"/> to <paramref name="to"/>: new
        /// instances are new-version from the start of the update; existing
        /// ones swap with the objects (eager) or on next access (<paramref name="lazy"/>).
        /// False (and <see cref="Error"/>) if refused.
        /// </summary>
        public bool AddClass(UpdatableClass cls, UpdatableFactory to, bool lazy)
        {
            if (Error != null) return false;
            if (cls == null) return Refuse("the request names no class", 0, null);
            if (to == null) return Refuse("no factory given for the class", 0, cls.Name);
            if (ClassCount == Classes.Length) return Refuse("the request is full (more classes than it was made for)", 0, cls.Name);
            for (int i = 0; i < ClassCount; i++)
                if (Classes[i] == cls) return Refuse("the request lists the class twice", 0, cls.Name);
            for (int i = 0; i < ObjectCount; i++)
            {
                ObjectRoot root = Objects.Root(new ObjectId(Ids[i]));
                if (root != null && root.Class == cls) return Refuse("the request lists the class and also one of its objects", Ids[i], cls.Name);
            }
            if (to.Version <= cls.Version) return Refuse("the new version is not newer than the class's current one", 0, cls.Name);
            Classes[ClassCount] = cls;
            ClassTo[ClassCount] = to;
            ClassLazy[ClassCount] = lazy;
            ClassCount++;
            return true;
        }
    }
}
