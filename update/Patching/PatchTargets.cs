using System.Threading;
using Molt.Threading;
using SpinLock = Molt.Threading.SpinLock;

namespace Molt.Update.Patching
{
    /// <summary>
    /// The updatable classes a patch may name, by name. A kernel service
    /// publishes its class once (the key-value store publishes "kv"); a
    /// patch's entry method then asks for it through
    /// <see cref="Patch.UpdateClass"/>. Only published classes are patch
    /// targets: a test's private classes are not, whatever they are called.
    /// The table is fixed-size and never shrinks; publishing is rare (boot,
    /// a patch adding a new service), lookups take the lock too.
    /// </summary>
    public static class PatchTargets
    {
        public const int Capacity = 64;

        private static UpdatableClass[] s_classes; // made on first Publish, never freed
        private static int s_count;
        private static SpinLock s_lock;

        /// <summary>Publishes <paramref name="cls"/> under its name; false if the name is taken or the table is full.</summary>
        public static bool Publish(UpdatableClass cls)
        {
            if (cls == null || cls.Name == null) return false;
            bool irq = s_lock.Acquire();
            if (s_classes == null) s_classes = new UpdatableClass[Capacity];
            bool ok = IndexOf(cls.Name) < 0 && s_count < Capacity;
            if (ok) s_classes[s_count++] = cls;
            s_lock.Release(irq);
            return ok;
        }

        /// <summary>The published class named <paramref name="name"/>, or null.</summary>
        public static UpdatableClass Find(string name)
        {
            bool irq = s_lock.Acquire();
            int i = IndexOf(name);
            UpdatableClass found = i >= 0 ? s_classes[i] : null;
            s_lock.Release(irq);
            return found;
        }

        /// <summary>How many classes are published.</summary>
        public static int Count => s_count;

        /// <summary>The <paramref name="index"/>th published class (in publishing order), or null.</summary>
        public static UpdatableClass At(int index) => (uint)index < (uint)Volatile.Read(in s_count) ? s_classes[index] : null;

        /// <summary>
        /// Withdraws every class published at or after <paramref name="index"/>
        /// (a patch's own, when it fails or is rolled back). Returns false, and
        /// withdraws nothing, if one of them still has live instances.
        /// </summary>
        public static bool UnpublishFrom(int index)
        {
            bool irq = s_lock.Acquire();
            bool free = true;
            for (int i = index; i < s_count; i++)
                if (s_classes[i].InstanceCount != 0) free = false;
            if (free)
                while (s_count > index) s_classes[--s_count] = null;
            s_lock.Release(irq);
            return free;
        }

        private static int IndexOf(string name)
        {
            for (int i = 0; i < s_count; i++)
                if (string.Equals(s_classes[i].Name, name)) return i;
            return -1;
        }
    }
}
