namespace System
{
    /// <summary>
    /// Exceptions exist so that ilc's helpers and C# `throw` compile. In Molt a
    /// throw is a panic: the kernel prints the type and message and a backtrace,
    /// then stops. Kernel code reports recoverable errors by return value.
    /// </summary>
    public class Exception
    {
        private readonly string _message;
        public Exception() { }
        public Exception(string message) { _message = message; }
        public Exception(string message, Exception inner) { _message = message; }
        public virtual string Message => _message;
    }

    public class SystemException : Exception
    {
        public SystemException() { }
        public SystemException(string message) : base(message) { }
    }

    public sealed class NullReferenceException : SystemException { public NullReferenceException() { } public NullReferenceException(string m) : base(m) { } }
    public sealed class InvalidCastException : SystemException { public InvalidCastException() { } public InvalidCastException(string m) : base(m) { } }
    public sealed class IndexOutOfRangeException : SystemException { public IndexOutOfRangeException() { } public IndexOutOfRangeException(string m) : base(m) { } }
    public sealed class DivideByZeroException : SystemException { public DivideByZeroException() { } public DivideByZeroException(string m) : base(m) { } }
    public sealed class OverflowException : SystemException { public OverflowException() { } public OverflowException(string m) : base(m) { } }
    public sealed class OutOfMemoryException : SystemException { public OutOfMemoryException() { } public OutOfMemoryException(string m) : base(m) { } }
    public sealed class InvalidOperationException : SystemException { public InvalidOperationException() { } public InvalidOperationException(string m) : base(m) { } }
    public sealed class NotSupportedException : SystemException { public NotSupportedException() { } public NotSupportedException(string m) : base(m) { } }
    public sealed class PlatformNotSupportedException : SystemException { public PlatformNotSupportedException() { } public PlatformNotSupportedException(string m) : base(m) { } }
    public sealed class NotImplementedException : SystemException { public NotImplementedException() { } public NotImplementedException(string m) : base(m) { } }
    public sealed class ArrayTypeMismatchException : SystemException { public ArrayTypeMismatchException() { } }
    public sealed class TypeLoadException : SystemException { public TypeLoadException() { } }
    public sealed class BadImageFormatException : SystemException { public BadImageFormatException() { } }
    public class ArgumentException : SystemException { public ArgumentException() { } public ArgumentException(string m) : base(m) { } }
    public sealed class ArgumentNullException : ArgumentException { public ArgumentNullException() { } public ArgumentNullException(string m) : base(m) { } }
    public sealed class ArgumentOutOfRangeException : ArgumentException { public ArgumentOutOfRangeException() { } public ArgumentOutOfRangeException(string m) : base(m) { } }
}
