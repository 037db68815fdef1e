using System.Diagnostics.CodeAnalysis;
using Molt.Diagnostics;

namespace Internal.Runtime.CompilerHelpers
{
    /// <summary>
    /// ilc routes implicit exceptions (bounds checks, overflow, missing
    /// features) here. Molt has no unwinder: each is a panic with the name of
    /// the exception .NET would have thrown, so the reason reads the same.
    /// </summary>
    internal static class ThrowHelpers
    {
        [DoesNotReturn] public static void ThrowOverflowException() => Panic.Fail("OverflowException");
        [DoesNotReturn] public static void ThrowIndexOutOfRangeException() => Panic.Fail("IndexOutOfRangeException: index was outside the bounds of the array");
        [DoesNotReturn] public static void ThrowNullReferenceException() => Panic.Fail("NullReferenceException");
        [DoesNotReturn] public static void ThrowDivideByZeroException() => Panic.Fail("DivideByZeroException: attempted to divide by zero");
        [DoesNotReturn] public static void ThrowArrayTypeMismatchException() => Panic.Fail("ArrayTypeMismatchException");
        [DoesNotReturn] public static void ThrowPlatformNotSupportedException() => Panic.Fail("PlatformNotSupportedException");
        [DoesNotReturn] public static void ThrowTypeLoadException() => Panic.Fail("TypeLoadException");
        [DoesNotReturn] public static void ThrowTypeLoadExceptionWithArgument(int message, string argument) => Panic.Fail("TypeLoadException");
        [DoesNotReturn] public static void ThrowArgumentException() => Panic.Fail("ArgumentException");
        [DoesNotReturn] public static void ThrowArgumentOutOfRangeException() => Panic.Fail("ArgumentOutOfRangeException");
        [DoesNotReturn] public static void ThrowInvalidOperationException() => Panic.Fail("InvalidOperationException");
        [DoesNotReturn] public static void ThrowNotImplementedException() => Panic.Fail("NotImplementedException");
        [DoesNotReturn] public static void ThrowNotSupportedException() => Panic.Fail("NotSupportedException");
        [DoesNotReturn] public static void ThrowBadImageFormatException(int message) => Panic.Fail("BadImageFormatException");
        [DoesNotReturn] public static void ThrowMissingMethodException(int message, string argument) => Panic.Fail("MissingMethodException");
        [DoesNotReturn] public static void ThrowMissingFieldException(int message, string argument) => Panic.Fail("MissingFieldException");
        [DoesNotReturn] public static void ThrowFileNotFoundException(int message, string argument) => Panic.Fail("FileNotFoundException");
        [DoesNotReturn] public static void ThrowInvalidProgramException(int message) => Panic.Fail("InvalidProgramException");
        [DoesNotReturn] public static void ThrowInvalidProgramExceptionWithArgument(int message, string argument) => Panic.Fail("InvalidProgramException");
        [DoesNotReturn] public static void ThrowMarshalDirectiveException(int message) => Panic.Fail("MarshalDirectiveException");
        [DoesNotReturn] public static void ThrowAmbiguousMatchException(int message) => Panic.Fail("AmbiguousMatchException");
        [DoesNotReturn] public static void ThrowFeatureBodyRemoved() => Panic.Fail("a method body removed by ilc was called");
        [DoesNotReturn] public static void ThrowClassConstructorRethrowException() => Panic.Fail("TypeInitializationException");
    }
}
