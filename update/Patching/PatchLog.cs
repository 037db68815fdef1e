using System;
using Molt.Console;

namespace Molt.Update.Patching
{
    /// <summary>One console line per patch outcome, naming where it came from.</summary>
    public static unsafe class PatchLog
    {
        /// <summary>
        /// "patch: FILE: applied 'NAME' as level N in T us (verify, link, init, swap, longest blocked call)"
        /// or "patch: FILE: refused at STEP: REASON [at byte OFFSET] [: DETAIL]".
        /// </summary>
        public static void Outcome(ReadOnlySpan<byte> source, in PatchReport r)
        {
            fixed (byte* src = source)
            {
                var from = new AsciiText(src, source.Length);
                ReadOnlySpan<byte> nameBytes = r.Name;
                fixed (byte* n = nameBytes)
                {
                    var name = new AsciiText(n, nameBytes.Length);
                    if (r.Committed)
                    {
                        Log.Info("patch", $"{from}: applied '{name}' as level {r.Level} in {r.TotalNs / 1000} us (verify {r.VerifyNs / 1000} us, link {r.LinkNs / 1000} us, init {r.InitNs / 1000} us, swap {r.SwapNs / 1000} us, longest blocked call {r.MaxBlockedNs / 1000} us, {r.ModuleBytes} bytes of patch memory)");
                        return;
                    }
                }
                ReadOnlySpan<byte> detailBytes = r.Detail;
                fixed (byte* d = detailBytes)
                {
                    var detail = new AsciiText(d, detailBytes.Length);
                    string step = StepName(r.Step);
                    if (r.Offset >= 0 && detailBytes.Length > 0)
                        Log.Warn("patch", $"{from}: refused at {step}: {r.Reason} (byte {r.Offset}): {detail}");
                    else if (r.Offset >= 0)
                        Log.Warn("patch", $"{from}: refused at {step}: {r.Reason} (byte {r.Offset})");
                    else if (detailBytes.Length > 0)
                        Log.Warn("patch", $"{from}: refused at {step}: {r.Reason}: {detail}");
                    else
                        Log.Warn("patch", $"{from}: refused at {step}: {r.Reason}");
                }
            }
        }

        public static string StepName(PatchStep step)
        {
            switch (step)
            {
                case PatchStep.Parse: return "parse";
                case PatchStep.Signature: return "signature";
                case PatchStep.Policy: return "policy";
                case PatchStep.Busy: return "busy";
                case PatchStep.Link: return "link";
                case PatchStep.Init: return "init";
                case PatchStep.Match: return "match";
                case PatchStep.Swap: return "swap";
                case PatchStep.Committed: return "committed";
                default: return "none";
            }
        }
    }
}
