// Attributes and marker types the C# compiler emits or ilc recognises.
namespace System.Runtime.CompilerServices
{
    [AttributeUsage(AttributeTargets.All)]
    internal sealed class IntrinsicAttribute : Attribute { }

    public enum MethodImplOptions
    {
        Unmanaged = 0x0004, NoInlining = 0x0008, ForwardRef = 0x0010, Synchronized = 0x0020,
        NoOptimization = 0x0040, PreserveSig = 0x0080, AggressiveInlining = 0x0100,
        AggressiveOptimization = 0x0200, InternalCall = 0x1000,
    }

    [AttributeUsage(AttributeTargets.Constructor | AttributeTargets.Method)]
    public sealed class MethodImplAttribute : Attribute
    {
        public MethodImplAttribute(MethodImplOptions methodImplOptions) { }
    }

    public sealed class IndexerNameAttribute : Attribute { public IndexerNameAttribute(string indexerName) { } }
    public sealed class ExtensionAttribute : Attribute { }
    public sealed class IsReadOnlyAttribute : Attribute { }
    public sealed class IsByRefLikeAttribute : Attribute { }
    public sealed class IsUnmanagedAttribute : Attribute { }
    public sealed class IsVolatile { }
    public sealed class IsExternalInit { }
    public sealed class RequiresLocationAttribute : Attribute { }
    public sealed class ScopedRefAttribute : Attribute { }
    public sealed class NullableAttribute : Attribute { public NullableAttribute(byte b) { } public NullableAttribute(byte[] b) { } }
    public sealed class NullableContextAttribute : Attribute { public NullableContextAttribute(byte b) { } }
    public sealed class RefSafetyRulesAttribute : Attribute { public RefSafetyRulesAttribute(int version) { } }
    public sealed class CompilerGeneratedAttribute : Attribute { }
    public sealed class FixedBufferAttribute : Attribute { public FixedBufferAttribute(Type elementType, int length) { } }
    public sealed class UnsafeValueTypeAttribute : Attribute { }
    public sealed class SkipLocalsInitAttribute : Attribute { }
    public sealed class ModuleInitializerAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.Struct)]
    public sealed class InlineArrayAttribute : Attribute { public InlineArrayAttribute(int length) { } }

    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = false, Inherited = false)]
    public sealed class InterpolatedStringHandlerAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
    public sealed class InterpolatedStringHandlerArgumentAttribute : Attribute
    {
        public InterpolatedStringHandlerArgumentAttribute(string argument) { }
        public InterpolatedStringHandlerArgumentAttribute(params string[] arguments) { }
    }

    public static class RuntimeFeature
    {
        public const string ByRefFields = nameof(ByRefFields);
        public const string UnmanagedSignatureCallingConvention = nameof(UnmanagedSignatureCallingConvention);
        public const string DefaultImplementationsOfInterfaces = nameof(DefaultImplementationsOfInterfaces);
        public const string VirtualStaticsInInterfaces = nameof(VirtualStaticsInInterfaces);
        public const string NumericIntPtr = nameof(NumericIntPtr);
    }

    public class CallConvCdecl { }
    public class CallConvFastcall { }
    public class CallConvStdcall { }
    public class CallConvSuppressGCTransition { }
    public class CallConvThiscall { }
    public class CallConvMemberFunction { }
}

namespace System.Runtime
{
    /// <summary>Exports a method under a fixed symbol name, for ilc's runtime helpers.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    internal sealed class RuntimeExportAttribute : Attribute { public RuntimeExportAttribute(string entry) { } }

    [AttributeUsage(AttributeTargets.Method)]
    internal sealed class RuntimeImportAttribute : Attribute
    {
        public RuntimeImportAttribute(string lib) { }
        public RuntimeImportAttribute(string lib, string entry) { }
    }
}

namespace System.Runtime.InteropServices
{
    public enum LayoutKind { Sequential = 0, Explicit = 2, Auto = 3 }
    public enum CharSet { None = 1, Ansi = 2, Unicode = 3, Auto = 4 }
    public enum CallingConvention { Winapi = 1, Cdecl = 2, StdCall = 3, ThisCall = 4, FastCall = 5 }

    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct)]
    public sealed class StructLayoutAttribute : Attribute
    {
        public StructLayoutAttribute(LayoutKind layoutKind) { }
        public int Pack;
        public int Size;
        public CharSet CharSet;
    }

    [AttributeUsage(AttributeTargets.Field)]
    public sealed class FieldOffsetAttribute : Attribute { public FieldOffsetAttribute(int offset) { } }

    [AttributeUsage(AttributeTargets.Method)]
    public sealed class DllImportAttribute : Attribute
    {
        public DllImportAttribute(string dllName) { }
        public string EntryPoint;
        public CallingConvention CallingConvention;
        public bool ExactSpelling;
    }

    [AttributeUsage(AttributeTargets.Method)]
    public sealed class UnmanagedCallersOnlyAttribute : Attribute
    {
        public UnmanagedCallersOnlyAttribute() { }
        public Type[] CallConvs;
        public string EntryPoint;
    }

    [AttributeUsage(AttributeTargets.Method)]
    public sealed class SuppressGCTransitionAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.Parameter)]
    public sealed class InAttribute : Attribute { }
    [AttributeUsage(AttributeTargets.Parameter)]
    public sealed class OutAttribute : Attribute { }

    public static unsafe class MemoryMarshal
    {
        public static ref T GetReference<T>(Span<T> span) => ref span._reference;
        public static ref T GetReference<T>(ReadOnlySpan<T> span) => ref span._reference;
    }
}
