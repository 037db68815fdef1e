using System.Runtime.CompilerServices;
using Molt.Boot;
using Molt.Hal;
using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>
    /// The HAL contracts, checked the same way on every arch: the kernel's
    /// own page tables (W^X image, direct map), a fresh table's map/query
    /// round trip, the timestamp counter, and interface calls through the
    /// arch's dispatch stub with every argument register in use.
    /// </summary>
    internal static unsafe class HalTests
    {
        public static void Register()
        {
            TestRunner.Add("hal.paging.image_wx", &ImageIsWxorX);
            TestRunner.Add("hal.paging.map_query", &MapThenQuery);
            TestRunner.Add("hal.timestamp", &TimestampAdvances);
            TestRunner.Add("runtime.interface_dispatch", &InterfaceDispatch);
        }

        private static void ImageIsWxorX(TestContext t)
        {
            ulong root = PageTables.ActiveRoot();
            t.Equal(KernelAddressSpace.ThisCpuRoot, root, "the kernel's tables are active");
            ulong phys;
            t.Equal((long)(PageAccess.Read | PageAccess.Execute), (long)PageTables.Query(root, Layout.KernelStart, out phys), "text is read+execute");
            t.Equal(Kernel.Boot->KernelPhysicalBase, phys, "text maps to the physical base");
            t.Equal((long)PageAccess.Read, (long)PageTables.Query(root, Layout.TextEnd, out phys), "rodata is read-only");
            t.Equal((long)(PageAccess.Read | PageAccess.Write), (long)PageTables.Query(root, Layout.RodataEnd, out phys), "data is read+write");
            t.Equal((long)PageAccess.Read, (long)PageTables.Query(root, Layout.DataEnd, out phys), "the symbol table is read-only");
            ulong frame = FrameAllocator.Allocate();
            t.True(frame != 0, "a frame to look at");
            t.Equal((long)(PageAccess.Read | PageAccess.Write), (long)PageTables.Query(root, (ulong)FrameAllocator.ToVirtual(frame), out phys), "the direct map is read+write, never executable");
            t.Equal(frame, phys, "the direct map is linear");
            FrameAllocator.Free(frame);
            t.Equal((long)PageAccess.None, (long)PageTables.Query(root, 0x1000, out phys), "the null page is unmapped");
        }

        private static void MapThenQuery(TestContext t)
        {
            ulong root = PageTables.CreateRoot();
            if (!t.True(root != 0, "a root table")) return;
            const ulong Virt = 0xFFFF_A000_0000_0000, Phys = 0x4000_0000;
            t.True(PageTables.Map(root, Virt, Phys, 0x1000, PageAccess.Read), "map one read-only page");
            t.True(PageTables.Map(root, Virt + 0x20_0000, Phys + 0x20_0000, 0x20_0000, PageAccess.Read | PageAccess.Write), "map a 2 MiB block");
            t.True(PageTables.Map(root, Virt + 0x40_0000, 0x0900_0000, 0x1000, PageAccess.Read | PageAccess.Write | PageAccess.Device), "map a device page");
            t.True(PageTables.Map(root, Virt + 0x41_0000, Phys, 0x1000, PageAccess.Read | PageAccess.Execute), "map an executable page");
            ulong phys;
            t.Equal((long)PageAccess.Read, (long)PageTables.Query(root, Virt + 0x123, out phys), "read-only page");
            t.Equal(Phys + 0x123, phys, "page offset kept");
            t.Equal((long)(PageAccess.Read | PageAccess.Write), (long)PageTables.Query(root, Virt + 0x2F_F008, out phys), "block access");
            t.Equal(Phys + 0x2F_F008, phys, "block offset kept");
            t.Equal((long)(PageAccess.Read | PageAccess.Write | PageAccess.Device), (long)PageTables.Query(root, Virt + 0x40_0010, out phys), "device page");
            t.Equal(0x0900_0010UL, phys, "device offset kept");
            t.Equal((long)(PageAccess.Read | PageAccess.Execute), (long)PageTables.Query(root, Virt + 0x41_0000, out phys), "executable page");
            t.Equal((long)PageAccess.None, (long)PageTables.Query(root, Virt + 0x1000, out phys), "the next page is unmapped");
            // The tables stay allocated: the contract has no teardown yet (a few frames).
        }

        private static void TimestampAdvances(TestContext t)
        {
            ulong a = Cpu.ReadTimestamp();
            ulong spin = 0;
            while (Cpu.ReadTimestamp() == a && spin < 100_000_000) { Cpu.Relax(); spin++; }
            t.True(Cpu.ReadTimestamp() > a, "the counter advances");
            t.True(Time.Clock.FrequencyHz >= 1_000_000, "frequency of at least 1 MHz");
        }

        // ---- Interface dispatch ----

        private struct Wide { public long A, B, C, D; }

        private interface IShape
        {
            long Area();
            double Mix(long a, long b, long c, long d, long e, long f, long g, double x, double y, float z);
            Wide Widen(long seed);
        }

        private sealed class Square : IShape
        {
            public long Side;
            public long Area() => Side * Side;
            public double Mix(long a, long b, long c, long d, long e, long f, long g, double x, double y, float z)
                => Side + a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + x * 10 + y * 100 + z * 1000;
            public Wide Widen(long seed) => new Wide { A = seed, B = seed + Side, C = seed * 2, D = -seed };
        }

        private sealed class Rectangle : IShape
        {
            public long W, H;
            public long Area() => W * H;
            public double Mix(long a, long b, long c, long d, long e, long f, long g, double x, double y, float z)
                => -(W + a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + x * 10 + y * 100 + z * 1000);
            public Wide Widen(long seed) => new Wide { A = seed * W, B = H, C = 7, D = 8 };
        }

        private sealed class Circle : IShape
        {
            public long R;
            public long Area() => 3 * R * R;
            public double Mix(long a, long b, long c, long d, long e, long f, long g, double x, double y, float z) => 0;
            public Wide Widen(long seed) => default;
        }

        /// <summary>
        /// More implementers: with only a few, ilc turns interface calls into
        /// type compares and the arch's dispatch stub is never reached.
        /// </summary>
        private sealed class Other<T> : IShape
        {
            public long Area() => sizeof(long);
            public double Mix(long a, long b, long c, long d, long e, long f, long g, double x, double y, float z) => 1;
            public Wide Widen(long seed) => default;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static IShape Opaque(IShape s) => s;

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static long Others()
        {
            IShape a = Opaque(new Other<byte>()), b = Opaque(new Other<short>()), c = Opaque(new Other<int>()), d = Opaque(new Other<long>());
            long sum = a.Area() + b.Area() + c.Area() + d.Area();
            Memory.Heap.Free(a); Memory.Heap.Free(b); Memory.Heap.Free(c); Memory.Heap.Free(d);
            return sum;
        }

        private static void InterfaceDispatch(TestContext t)
        {
            var square = new Square { Side = 3 };
            var rectangle = new Rectangle { W = 2, H = 5 };
            var circle = new Circle { R = 1 };
            IShape a = Opaque(square), b = Opaque(rectangle), c = Opaque(circle);
            long total = 0;
            for (int i = 0; i < 3; i++) total += a.Area() + b.Area() + c.Area(); // repeats hit the resolver cache
            t.Equal(3 * (9 + 10 + 3), total, "areas through the interface");
            t.Equal(4 * 8, Others(), "areas of the other implementers");
            // x1-x7 integers, then one on the stack, q0-q2 floating point.
            double m = a.Mix(1, 2, 3, 4, 5, 6, 7, 0.5, 0.25, 0.125f);
            t.Equal(3 + 1 + 4 + 9 + 16 + 25 + 36 + 49 + 5 + 25 + 125, (long)m, "integer and floating arguments survive the stub");
            t.Equal(-(2 + 1 + 4 + 9 + 16 + 25 + 36 + 49 + 5 + 25 + 125), (long)b.Mix(1, 2, 3, 4, 5, 6, 7, 0.5, 0.25, 0.125f), "second implementation");
            // A 32-byte struct comes back through the hidden result pointer (x8 on arm64, rdi on x64).
            Wide w = a.Widen(11);
            t.Equal(11, w.A, "wide A"); t.Equal(14, w.B, "wide B"); t.Equal(22, w.C, "wide C"); t.Equal(-11, w.D, "wide D");
            Wide v = b.Widen(4);
            t.Equal(8, v.A, "wide A (2)"); t.Equal(5, v.B, "wide B (2)");
            Memory.Heap.Free(square); Memory.Heap.Free(rectangle); Memory.Heap.Free(circle);
        }
    }
}
