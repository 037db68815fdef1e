namespace Molt.Update
{
    /// <summary>Where a test hook can stop the update core (see <see cref="UpdateHooks"/>).</summary>
    public enum UpdatePoint
    {
        /// <summary>Objects' miss path, Normal state: the state, Pending and the representative are read and the entry is about to be installed (the install's re-check comes after it). Interrupts are off. Argument: the object id.</summary>
        MissBeforeInstall,
        /// <summary>Objects' miss path, Forward (or Block and inside the set): the state is read, the call not yet counted. Interrupts are off. Argument: the object id.</summary>
        MissBeforeCount,
        /// <summary>HotSwap step 3: the counted calls drained; the transfer comes next. Argument: the first object id.</summary>
        AfterDrain,
        /// <summary>Lazy conversion: the root was seen Normal, not yet claimed. Interrupts on. Argument: the object id.</summary>
        ConvertBeforeClaim,
        /// <summary>Lazy conversion: the root is claimed (Converting) and its Pending factory read; nothing converted yet. Interrupts on. Argument: the object id.</summary>
        ConvertClaimed,
        /// <summary>HotSwap step 2: every root of the set is Forward and its entries cleared; the marker wait comes next. Argument: the first object id.</summary>
        AfterForwardFlush,
        /// <summary>Lazy arming: factories switched and a marker passed; no instance is Pending yet. Argument: 0.</summary>
        BeforeMarkPending,
        /// <summary>Lazy arming: every instance is Pending and its entries cleared; the marker wait comes next. Argument: 0.</summary>
        AfterMarkPending,
        /// <summary>Lazy arming: the marker after marking passed; the class is armed next. Argument: 0.</summary>
        BeforeArm,
        /// <summary><see cref="UpdatableClass.SnapshotInstances"/> has read one CPU's list and count and is about to copy it. Argument: that CPU.</summary>
        SnapshotListRead,
    }

    /// <summary>
    /// Test-only stopping points inside the update core, to make races
    /// deterministic (a miss delayed between reading the state and
    /// installing the entry while another CPU starts Forward, a snapshot
    /// reading a list while another CPU grows it). Off, a hook costs one
    /// load of a static bool on a path that is already slow (a miss, an
    /// update step); the LTT hit path has none.
    /// The hook runs in the context of the point (possibly with interrupts
    /// off: <see cref="UpdatePoint.MissBeforeInstall"/>), so it may only spin
    /// there, never sleep.
    /// </summary>
    public static unsafe class UpdateHooks
    {
        /// <summary>True while a hook is installed; read on every hook point.</summary>
        public static bool On;
        private static delegate*<UpdatePoint, int, void> s_hook;

        /// <summary>Installs <paramref name="hook"/> (null removes it). Tests only; one hook at a time.</summary>
        public static void Set(delegate*<UpdatePoint, int, void> hook)
        {
            s_hook = hook;
            On = hook != null;
            System.Threading.Interlocked.MemoryBarrier();
        }

        internal static void Hit(UpdatePoint point, int argument)
        {
            delegate*<UpdatePoint, int, void> h = s_hook;
            if (h != null) h(point, argument);
        }
    }
}
