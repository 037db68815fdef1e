using System.Runtime.InteropServices;

namespace System.Runtime.CompilerServices
{
    /// <summary>
    /// Runs a static constructor lazily on first access to its class, for the
    /// class constructors ilc could not preinitialize at compile time.
    /// The context word is cleared before the constructor runs, so a
    /// constructor that touches its own statics does not recurse.
    /// </summary>
    internal static unsafe class ClassConstructorRunner
    {
        private static object CheckStaticClassConstructionReturnGCStaticBase(ref StaticClassConstructionContext context, object gcStaticBase)
        {
            CheckStaticClassConstruction(ref context);
            return gcStaticBase;
        }

        private static nint CheckStaticClassConstructionReturnNonGCStaticBase(ref StaticClassConstructionContext context, nint nonGcStaticBase)
        {
            CheckStaticClassConstruction(ref context);
            return nonGcStaticBase;
        }

        private static nint CheckStaticClassConstructionReturnThreadStaticBase(ref StaticClassConstructionContext context, nint threadStaticBase)
        {
            CheckStaticClassConstruction(ref context);
            return threadStaticBase;
        }

        private static void CheckStaticClassConstruction(ref StaticClassConstructionContext context)
        {
            nint cctor = Molt.Threading.Atomic.Exchange(ref context.cctorMethodAddress, 0);
            if (cctor != 0)
                ((delegate*<void>)cctor)();
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct StaticClassConstructionContext
    {
        public nint cctorMethodAddress;
    }
}
