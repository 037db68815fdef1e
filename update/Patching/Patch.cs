namespace Molt.Update.Patching
{
    /// <summary>
    /// What a patch's entry method (<c>public static bool PatchMain.Register()</c>)
    /// calls to say what it changes. The kernel calls the entry once, after
    /// linking and initializing the patch, with a request open; each call
    /// here adds to that request, which is checked as it is built (a class
    /// that is not published, a version not newer than the one serving, a
    /// class named twice). Outside the entry method every call returns false.
    ///
    /// <code>
    /// public static class PatchMain
    /// {
    ///     public static bool Register() => Patch.UpdateClass("kv", new StoreFactoryV2());
    /// }
    /// </code>
    ///
    /// Then the kernel checks that the request matches the updates the
    /// bundle declares (same targets, same versions), and applies it as one
    /// unit (<see cref="PatchApplier"/>).
    /// </summary>
    public static class Patch
    {
        private static UpdateRequest s_open;

        /// <summary>
        /// Switches the published class <paramref name="className"/> to
        /// <paramref name="to"/>; existing instances are converted in the
        /// same swap (eagerly), with their state.
        /// </summary>
        public static bool UpdateClass(string className, UpdatableFactory to) => Add(className, to, lazy: false);

        /// <summary>As <see cref="UpdateClass"/>, but each instance converts on its next use.</summary>
        public static bool UpdateClassLazily(string className, UpdatableFactory to) => Add(className, to, lazy: true);

        /// <summary>Swaps one object (not its whole class) to <paramref name="to"/>.</summary>
        public static bool SwapObject(ObjectId id, UpdatableFactory to)
        {
            UpdateRequest r = s_open;
            return r != null && r.AddObject(id, to);
        }

        /// <summary>
        /// Publishes a class the patch brings (a new service): later patches
        /// can name it. It is not part of the request and stays published
        /// after a rollback only if its creator keeps it alive; a patch that
        /// publishes is not unloaded by a rollback (see docs/patching.md).
        /// </summary>
        public static bool Publish(UpdatableClass cls) => s_open != null && PatchTargets.Publish(cls);

        private static bool Add(string className, UpdatableFactory to, bool lazy)
        {
            UpdateRequest r = s_open;
            if (r == null) return false;
            UpdatableClass cls = PatchTargets.Find(className);
            if (cls == null)
            {
                r.AddClass(null, to, lazy); // records "the request names no class"
                return false;
            }
            return r.AddClass(cls, to, lazy);
        }

        /// <summary>The applier opens the request around the entry call, and closes it after.</summary>
        internal static void Open(UpdateRequest request) => s_open = request;
        internal static void Close() => s_open = null;
    }
}
