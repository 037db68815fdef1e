using Molt.Console;
using Molt.Update;
using Molt.Update.Patching;

namespace Molt.Services.Kv
{
    /// <summary>
    /// The key-value service's one store: an object of the updatable class
    /// "kv", published so patches can name it. Callers reach it as
    /// <c>using (var kv = Objects.Use&lt;KvStore&gt;(KvService.Store)) kv.Target.Put(k, v);</c>
    /// </summary>
    public static class KvService
    {
        public const string ClassName = "kv";

        private static UpdatableClass s_class;
        private static ObjectId s_store;

        public static ObjectId Store => s_store;
        public static UpdatableClass Class => s_class;

        /// <summary>Boot, once, after the object tables exist. False (logged) when there is no room.</summary>
        public static bool Start()
        {
            s_class = new UpdatableClass(ClassName, new KvStoreV1Factory());
            s_store = s_class.Create();
            if (!s_store.IsValid || !PatchTargets.Publish(s_class))
            {
                Log.Warn("kv", $"the store could not be created");
                return false;
            }
            Log.Info("kv", $"store ready (class '{ClassName}', version {s_class.Version}, object {s_store.Value})");
            return true;
        }
    }
}
