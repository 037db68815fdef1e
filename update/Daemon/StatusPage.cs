using System;

namespace Molt.Update.Daemon
{
    /// <summary>Placeholder until the status page lands (branch page).</summary>
    public static class StatusPage
    {
        public static ReadOnlySpan<byte> Html => "<!doctype html><title>Molt</title><p>See <a href=/status>/status</a>.</p>"u8;
    }
}
