namespace Molt.Update
{
    public enum SwapOutcome
    {
        Committed,
        /// <summary>Another update is running; nothing was changed.</summary>
        Busy,
        /// <summary>The old and new versions share no state format; nothing was changed.</summary>
        NoCommonFormat,
        /// <summary>No system-wide quiescent point came in time (an operation kept running); everything done was undone.</summary>
        QuiescenceTimeout,
        /// <summary>Calls inside the objects did not drain in time (a call cycle?); everything done was undone.</summary>
        DrainTimeout,
        /// <summary>A version's state import reported failure; everything done was undone, the old state intact.</summary>
        TransferFailed,
        /// <summary>A new representative failed its self-check; everything done was undone before any caller saw it.</summary>
        SelfCheckFailed,
        OutOfMemory,
        /// <summary>Bad request (found when it was built or re-checked at apply), or nothing to roll back.</summary>
        Invalid,
    }

    /// <summary>The step of an update a failure happened in (see <see cref="HotSwap"/> and <see cref="UpdateManager.Apply"/>).</summary>
    public enum UpdateStep
    {
        None,
        /// <summary>The request was refused before anything changed (built with an error, stale, another update running).</summary>
        Validate,
        /// <summary>1: choosing a state format.</summary>
        Negotiate,
        /// <summary>2: factories switched, mediators on, waiting for a quiescent point.</summary>
        Forward,
        /// <summary>3: new calls wait; draining the counted calls.</summary>
        Block,
        /// <summary>4: making the new representatives and importing state.</summary>
        Transfer,
        /// <summary>5a: the new representatives' self-checks.</summary>
        SelfCheck,
        /// <summary>5b: installing, arming lazy classes, recording the level.</summary>
        Commit,
    }

    /// <summary>
    /// What an update (or rollback) did, returned by value: the caller frees
    /// nothing. <see cref="Reason"/> is a string literal and
    /// <see cref="ClassName"/> the class's own name, so neither is freed either.
    /// </summary>
    public struct UpdateReport
    {
        public SwapOutcome Outcome;
        /// <summary>The step that failed (<see cref="UpdateStep.None"/> when committed).</summary>
        public UpdateStep Step;
        /// <summary>One line saying precisely what went wrong (null when committed).</summary>
        public string Reason;
        /// <summary>The object the failure concerns, or 0.</summary>
        public int ObjectId;
        /// <summary>On a quiescence time-out, the CPU that held it up (else -1 or 0).</summary>
        public int StuckCpu;
        /// <summary>The class the failure concerns, or null.</summary>
        public string ClassName;
        /// <summary>Objects swapped eagerly (instances of eagerly updated classes included), and instances marked for lazy conversion.</summary>
        public int Objects;
        public int LazyInstances;
        /// <summary>The state format of the last object negotiated.</summary>
        public int Format;
        /// <summary>From the start of the update to its end (old versions freed).</summary>
        public ulong TotalNs;
        /// <summary>Time spent waiting for quiescent points (every marker of the update).</summary>
        public ulong QuiescenceNs;
        /// <summary>From the start of the hot swap to Block (step 2).</summary>
        public ulong ForwardNs;
        /// <summary>From Block to commit (steps 3-5): the window in which new calls wait.</summary>
        public ulong BlockNs;
        /// <summary>The longest time one call waited in a Block phase of this update.</summary>
        public ulong MaxBlockedNs;
        /// <summary>The update level after the update (unchanged when it failed).</summary>
        public int Level;

        public bool Committed => Outcome == SwapOutcome.Committed;

        /// <summary>The step's name, for logs.</summary>
        public static string StepName(UpdateStep step) => step switch
        {
            UpdateStep.Validate => "validate",
            UpdateStep.Negotiate => "negotiate",
            UpdateStep.Forward => "forward",
            UpdateStep.Block => "block/drain",
            UpdateStep.Transfer => "transfer",
            UpdateStep.SelfCheck => "self-check",
            UpdateStep.Commit => "commit",
            _ => "none",
        };

        internal static UpdateReport Refused(SwapOutcome outcome, UpdateStep step, string reason, int objectId = 0, string className = null)
        {
            var r = new UpdateReport();
            r.Outcome = outcome; r.Step = step; r.Reason = reason; r.ObjectId = objectId; r.ClassName = className;
            r.Level = UpdateManager.Level;
            return r;
        }
    }
}
