namespace Molt.Update
{
    public enum SwapOutcome
    {
        Committed,
        /// <summary>Another update is running; nothing was changed.</summary>
        Busy,
        /// <summary>The old and new versions share no state format; nothing was changed.</summary>
        NoCommonFormat,
        /// <summary>No system-wide quiescent point came in time (an operation kept running); rolled back to the old version.</summary>
        QuiescenceTimeout,
        /// <summary>Calls inside the objects did not drain in time (a call cycle?); rolled back.</summary>
        DrainTimeout,
        /// <summary>A version's state import reported failure; rolled back with the old state intact.</summary>
        TransferFailed,
        /// <summary>A new representative failed its self-check; rolled back before any caller saw it.</summary>
        SelfCheckFailed,
        OutOfMemory,
        /// <summary>Bad request: an unknown object id, an empty set, or nothing to roll back.</summary>
        Invalid,
    }

    /// <summary>What an update did and how long it took. Owned by the caller.</summary>
    public sealed class SwapReport
    {
        public SwapOutcome Outcome;
        /// <summary>One line saying precisely what went wrong (null when committed).</summary>
        public string Reason;
        /// <summary>The object the failure concerns, or 0.</summary>
        public int ObjectId;
        public int Objects;
        public int Format;
        public ulong TotalNs;
        public ulong ForwardNs;
        public ulong BlockNs;
        public bool Committed => Outcome == SwapOutcome.Committed;
    }
}
