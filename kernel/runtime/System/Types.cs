// Type handles and the few reflection-free type objects ilc requires.
namespace System
{
    public struct RuntimeTypeHandle { internal nint _value; }
    public struct RuntimeMethodHandle { internal nint _value; }
    public struct RuntimeFieldHandle { internal nint _value; }

    public abstract class Type
    {
        public static unsafe Type GetTypeFromHandle(RuntimeTypeHandle handle) => null;
    }

    /// <summary>ilc wants this type to exist once a method mentions Exception. Molt keeps no reflection data.</summary>
    internal sealed class RuntimeType : Type { }

    public interface IDisposable { void Dispose(); }
    public interface IEquatable<T> { bool Equals(T other); }
    public interface IComparable<T> { int CompareTo(T other); }

    /// <summary>
    /// The delegate layout ilc 10.0.12 generates Invoke and thunks against: it
    /// finds these four fields by name (_firstParameter is the target or the
    /// delegate itself for thunks, _functionPointer the code called), and calls
    /// the Initialize* methods from delegate constructors. Delegates are heap
    /// objects like any other: the creator frees them (and any closure).
    /// </summary>
    public abstract class Delegate
    {
        internal object _firstParameter;
        internal object _helperObject;
        internal nint _extraFunctionPointerOrData;
        internal nint _functionPointer;

        /// <summary>ilc's multifile mode looks this nested type up by name (multicast delegate storage).</summary>
        internal struct Wrapper
        {
            public Delegate Value;
        }

        private void InitializeClosedStaticThunk(object firstParameter, nint functionPointer, nint functionPointerThunk)
        {
            _extraFunctionPointerOrData = functionPointer;
            _helperObject = firstParameter;
            _functionPointer = functionPointerThunk;
            _firstParameter = this;
        }

        private void InitializeOpenStaticThunk(object firstParameter, nint functionPointer, nint functionPointerThunk)
        {
            _firstParameter = this;
            _functionPointer = functionPointerThunk;
            _extraFunctionPointerOrData = functionPointer;
        }

        private void InitializeClosedInstance(object firstParameter, nint functionPointer)
        {
            _functionPointer = functionPointer;
            _firstParameter = firstParameter;
        }
    }

    public abstract class MulticastDelegate : Delegate { }

    public delegate void Action();
    public delegate void Action<T>(T arg);
    public delegate TResult Func<TResult>();
    public delegate TResult Func<T, TResult>(T arg);

    public ref struct TypedReference { }
    public struct ArgIterator { }
    public struct RuntimeArgumentHandle { }

    public struct ValueTuple<T1, T2>
    {
        public T1 Item1;
        public T2 Item2;
        public ValueTuple(T1 item1, T2 item2) { Item1 = item1; Item2 = item2; }
    }
}

namespace System.Collections
{
    // C# requires these to exist to compile foreach over an array, although it
    // lowers that loop to indexing and never calls them. Arrays do not implement them.
    public interface IEnumerable { IEnumerator GetEnumerator(); }
    public interface IEnumerator { bool MoveNext(); object Current { get; } void Reset(); }
}
