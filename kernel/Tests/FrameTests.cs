using Molt.Memory;
using Molt.Testing;

namespace Molt.Tests
{
    /// <summary>The physical frame allocator.</summary>
    internal static unsafe class FrameTests
    {
        public static void Register()
        {
            TestRunner.Add("frames.allocate_and_free", &AllocateFree);
            TestRunner.Add("frames.double_free_returns_false", &DoubleFree);
            TestRunner.Add("frames.contiguous_run", &Contiguous);
            TestRunner.Add("frames.bad_frees_change_nothing", &BadFrees);
            TestRunner.Add("frames.direct_map_round_trip", &DirectMap);
            TestRunner.Add("frames.distinct_frames", &Distinct);
        }

        private static void AllocateFree(TestContext t)
        {
            ulong free = FrameAllocator.FreeFrames;
            ulong f = FrameAllocator.Allocate();
            t.True(f != 0, "a frame was allocated");
            t.Equal(0, (long)(f & (FrameAllocator.FrameSize - 1)), "page aligned");
            t.True(f >= 0x100000, "never below 1 MiB");
            t.True(FrameAllocator.IsAllocated(f), "marked allocated");
            t.Equal(free - 1, FrameAllocator.FreeFrames, "one fewer free frame");
            t.True(FrameAllocator.Free(f), "Free returns true");
            t.True(!FrameAllocator.IsAllocated(f), "marked free");
            t.Equal(free, FrameAllocator.FreeFrames, "free count restored");
            t.True(FrameAllocator.FreeFrames <= FrameAllocator.TotalFrames, "free never exceeds total");
        }

        private static void DoubleFree(TestContext t)
        {
            ulong f = FrameAllocator.Allocate();
            t.True(FrameAllocator.Free(f), "first free");
            ulong free = FrameAllocator.FreeFrames;
            t.True(!FrameAllocator.Free(f), "second free returns false");
            t.Equal(free, FrameAllocator.FreeFrames, "and does not count twice");
        }

        private static void Contiguous(TestContext t)
        {
            ulong free = FrameAllocator.FreeFrames;
            ulong f = FrameAllocator.AllocateContiguous(8);
            t.True(f != 0, "8 contiguous frames");
            t.Equal(0, (long)(f & 4095), "aligned to a frame");
            bool all = true;
            for (ulong i = 0; i < 8; i++) all &= FrameAllocator.IsAllocated(f + i * 4096);
            t.True(all, "every frame of the run is allocated");
            t.Equal(free - 8, FrameAllocator.FreeFrames, "8 frames counted");
            t.True(FrameAllocator.Free(f, 8), "the run frees");
            t.Equal(free, FrameAllocator.FreeFrames, "all 8 back");
            t.Equal(0, (long)FrameAllocator.AllocateContiguous(0), "zero frames is refused");
            t.Equal(0, (long)FrameAllocator.AllocateContiguous(FrameAllocator.FreeFrames + 1), "more than is free is refused");
        }

        private static void BadFrees(TestContext t)
        {
            ulong f = FrameAllocator.AllocateContiguous(2);
            t.True(FrameAllocator.Free(f + 4096), "free the second frame alone");
            ulong free = FrameAllocator.FreeFrames;
            t.True(!FrameAllocator.Free(f, 2), "a run with a free frame in it is refused");
            t.True(FrameAllocator.IsAllocated(f), "and the first frame stays allocated");
            t.True(!FrameAllocator.Free(f + 1), "an unaligned address is refused");
            t.True(!FrameAllocator.Free(1UL << 50), "an address beyond memory is refused");
            t.Equal(free, FrameAllocator.FreeFrames, "nothing changed");
            t.True(FrameAllocator.Free(f), "the first frame frees");
        }

        private static void DirectMap(TestContext t)
        {
            ulong f = FrameAllocator.Allocate();
            ulong* p = (ulong*)FrameAllocator.ToVirtual(f);
            t.Equal(f + FrameAllocator.DirectMapOffset, (ulong)p, "virtual = physical + direct-map offset");
            t.Equal(f, FrameAllocator.ToPhysical(p), "ToPhysical inverts ToVirtual");
            for (int i = 0; i < 512; i++) p[i] = (ulong)i * 0x0101010101010101UL;
            t.Equal(0x0505050505050505UL, p[5], "the frame is writable through the direct map");
            FrameAllocator.Free(f);
        }

        private static void Distinct(TestContext t)
        {
            ulong* frames = stackalloc ulong[16];
            ulong free = FrameAllocator.FreeFrames;
            for (int i = 0; i < 16; i++) frames[i] = FrameAllocator.Allocate();
            bool distinct = true;
            for (int i = 0; i < 16; i++)
                for (int j = i + 1; j < 16; j++) distinct &= frames[i] != frames[j];
            t.True(distinct, "16 allocations give 16 different frames");
            t.Equal(free - 16, FrameAllocator.FreeFrames, "16 counted");
            bool freed = true;
            for (int i = 15; i >= 0; i--) freed &= FrameAllocator.Free(frames[i]);
            t.True(freed, "all freed");
            t.Equal(free, FrameAllocator.FreeFrames, "all back");
        }
    }
}
