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

    public abstract class Delegate
    {
        internal object m_firstParameter;
        internal object m_helperObject;
        internal nint m_extraFunctionPointerOrData;
        internal nint m_functionPointer;

        private void InitializeClosedStaticThunk(object firstParameter, nint functionPointer, nint functionPointerThunk)
        {
            m_extraFunctionPointerOrData = functionPointer;
            m_helperObject = firstParameter;
            m_functionPointer = functionPointerThunk;
            m_firstParameter = this;
        }

        private void InitializeOpenStaticThunk(object firstParameter, nint functionPointer, nint functionPointerThunk)
        {
            m_firstParameter = this;
            m_functionPointer = functionPointerThunk;
            m_extraFunctionPointerOrData = functionPointer;
        }

        private void InitializeClosedInstance(object firstParameter, nint functionPointer)
        {
            m_functionPointer = functionPointer;
            m_firstParameter = firstParameter;
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
