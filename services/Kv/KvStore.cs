using System;

namespace Molt.Services.Kv
{
    /// <summary>What a store operation did.</summary>
    public enum KvResult
    {
        Ok = 0,
        NotFound = 1,
        /// <summary>The caller's buffer is smaller than the value (Get); nothing was copied.</summary>
        BufferTooSmall = 2,
        /// <summary>The heap could not hold the key or value: nothing changed.</summary>
        OutOfMemory = 3,
        /// <summary>A key longer than <see cref="KvStore.MaxKeyBytes"/>, or empty; a value longer than <see cref="KvStore.MaxValueBytes"/>.</summary>
        TooLarge = 4,
    }

    /// <summary>
    /// The key-value store, as kernel code and patches see it. It is an
    /// updatable object (class "kv", <see cref="KvService"/>): callers reach
    /// it only through <c>Objects.Use&lt;KvStore&gt;(KvService.Store)</c>,
    /// so a patch can replace its implementation live, with its data.
    ///
    /// Patch rule: this is an abstract base class whose every method is
    /// abstract, so a patch's subclass overrides a layout the kernel and
    /// the patch agree on (docs/patching.md, "What a patch may implement").
    /// Values are copied in and out: no span handed out outlives the call.
    /// </summary>
    public abstract class KvStore : IKvEntries<KvTable>
    {
        public const int MaxKeyBytes = 256;
        public const int MaxValueBytes = 1 << 20;

        /// <summary>State-transfer format bit every version exports: a copy of <see cref="Entries"/>.</summary>
        public const uint TableFormat = 1u << 1;

        /// <summary>Copies the value of <paramref name="key"/> into <paramref name="into"/>; <paramref name="length"/> is its length (also on BufferTooSmall).</summary>
        public abstract KvResult Get(ReadOnlySpan<byte> key, Span<byte> into, out int length);

        /// <summary>Stores a copy of <paramref name="value"/> under <paramref name="key"/>, replacing any earlier value.</summary>
        public abstract KvResult Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

        public abstract KvResult Delete(ReadOnlySpan<byte> key);

        /// <summary>How many keys are stored.</summary>
        public abstract int Count();

        /// <summary>
        /// How many times <paramref name="key"/> was written since it was
        /// created, or 0 when this version keeps no per-key versions (v1, v2).
        /// </summary>
        public abstract long VersionOf(ReadOnlySpan<byte> key);

        /// <summary>The implementation's version number (the factory's), for logs and tests.</summary>
        public abstract int Implementation();

        /// <summary>
        /// The entries, as a table the next version copies from (state
        /// transfer): owned by this store, only read by the caller, under its lock.
        /// </summary>
        public abstract KvTable Entries();

        /// <summary>
        /// The entries of any version's representative, for state transfer in
        /// <see cref="TableFormat"/>: a <see cref="KvStore"/>, or a newer
        /// representative that is not one (an interface change presented to old
        /// callers through an adapter) but offers <see cref="IKvEntries{T}"/>.
        /// Null when it offers neither: the import then fails cleanly.
        /// </summary>
        public static KvTable EntriesOf(object representative) =>
            representative is KvStore store ? store.Entries()
            : representative is IKvEntries<KvTable> source ? source.Entries() : null;
    }

    /// <summary>
    /// Whatever can hand its entries over in <see cref="KvStore.TableFormat"/>.
    /// Generic over a reference type, as patchable kernel interfaces must be
    /// (docs/patching.md): a patch's own types implement it.
    /// </summary>
    public interface IKvEntries<T> where T : class
    {
        T Entries();
    }
}
