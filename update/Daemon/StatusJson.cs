using System;
using Molt.Diagnostics;
using Molt.Memory;
using Molt.Net.Http;
using Molt.Time;
using Molt.Update.Patching;

namespace Molt.Update.Daemon
{
    /// <summary>The body of <c>GET /status</c> (docs/update-daemon.md): the kernel, its patch stack, the history, the classes.</summary>
    public static class StatusJson
    {
        public static void Write(ref JsonWriter json)
        {
            json.BeginObject();
            json.Key("build_id"); json.Hex(Symbols.BuildId);
            json.Field("arch", Hal.Cpu.ElfMachine() == 62 ? "x64" : "arm64");
            json.Field("cpus", (long)Smp.Processors.Online);
            json.Field("uptime_ms", Clock.NanosecondsSinceBoot() / 1_000_000);
            json.Field("level", (long)PatchStack.Level);
            json.Field("last_sequence", PatchStack.LastSequence);
            Span<byte> busy = stackalloc byte[160];
            int busyLength = UpdateSlot.Describe(busy);
            json.Key("busy");
            if (busyLength == 0) json.Null(); else json.String(busy.Slice(0, busyLength));
            json.Field("heap_bytes_in_use", Heap.BytesInUse);
            // Patch address space is never reused, so "reserved" grows with every link ever tried:
            // a bundle refused before the link (parse, signature, policy) leaves it unchanged.
            json.Field("patch_memory_reserved_bytes", Linker.PatchMemory.Reserved);
            json.Field("patch_memory_frames_in_use", Linker.PatchMemory.FramesInUse);

            json.Key("patches");
            json.BeginArray();
            for (int level = 1; level <= PatchStack.Level; level++)
            {
                PatchRecord r = PatchStack.At(level);
                if (r == null) continue;
                json.BeginObject();
                json.Field("level", (long)level);
                json.Field("name", r.Name);
                json.Field("sequence", r.Sequence);
                json.Field("applied_at_ms", r.AppliedAtNs / 1_000_000);
                json.Field("total_us", r.TotalNs / 1000);
                json.Field("max_blocked_us", r.MaxBlockedNs / 1000);
                json.Field("module_bytes", r.ModuleBytes);
                json.EndObject();
            }
            json.EndArray();

            json.Key("history");
            UpdateHistory.Write(ref json);

            json.Key("classes");
            json.BeginArray();
            for (int i = 0; i < PatchTargets.Count; i++)
            {
                UpdatableClass c = PatchTargets.At(i);
                if (c == null) continue;
                json.BeginObject();
                json.Field("name", c.Name);
                json.Field("version", (long)c.Version);
                json.EndObject();
            }
            json.EndArray();
            json.EndObject();
        }
    }
}
