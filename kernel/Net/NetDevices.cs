#nullable disable
namespace Molt.Net
{
    /// <summary>
    /// The network interfaces drivers found, in probe order. Registration
    /// happens at boot (one thread); readers come later. <see cref="First"/>
    /// is the interface the stack uses: device 0 unless the command line
    /// chose another with <c>net.dev=N</c> (<see cref="Select"/>).
    /// The array is allocated on the first registration and kept for the
    /// kernel's life; devices are never removed.
    /// </summary>
    public static class NetDevices
    {
        public const int Max = 8;

        private static INetDevice[] s_devices;
        private static int s_count;
        private static int s_selected;

        public static int Count => s_count;

        /// <summary>Adds a device; returns its index, or -1 when <see cref="Max"/> are registered.</summary>
        public static int Register(INetDevice device)
        {
            if (device == null || s_count >= Max) return -1;
            if (s_devices == null) s_devices = new INetDevice[Max];
            s_devices[s_count] = device;
            return s_count++;
        }

        public static INetDevice Get(int index) => (uint)index < (uint)s_count ? s_devices[index] : null;

        /// <summary>Makes device <paramref name="index"/> the one <see cref="First"/> returns; false if there is no such device.</summary>
        public static bool Select(int index)
        {
            if ((uint)index >= (uint)s_count) return false;
            s_selected = index;
            return true;
        }

        public static int SelectedIndex => s_selected;

        /// <summary>The device the stack should use, or null when there is none.</summary>
        public static INetDevice First => Get(s_selected);
    }
}
