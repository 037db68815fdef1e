namespace Molt.Update
{
    /// <summary>
    /// The name of an updatable object. Callers keep ids, never references
    /// to an object's representatives: an update may replace those at any
    /// quiescent point. Id 0 is never valid.
    /// </summary>
    public readonly struct ObjectId
    {
        public readonly int Value;
        public ObjectId(int value) { Value = value; }
        public bool IsValid => Value > 0;
    }

    /// <summary>Where an object is in the hot-swap protocol (see <see cref="HotSwap"/>).</summary>
    public enum RootState
    {
        /// <summary>Calls go straight to the representative, cached in each CPU's table.</summary>
        Normal = 0,
        /// <summary>A mediator counts every call and forwards it to the old version.</summary>
        Forward = 1,
        /// <summary>New calls wait; calls already inside (and their recursive calls) continue.</summary>
        Block = 2,
        /// <summary>A lazy conversion to the new version is running on some CPU.</summary>
        Converting = 3,
    }
}
