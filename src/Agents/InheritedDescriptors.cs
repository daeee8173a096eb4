using System.Globalization;
using System.Runtime.InteropServices;

namespace Ringmaster.Agents;

/// <summary>Descriptors this process inherited, kept from the long-lived processes it starts.</summary>
internal static class InheritedDescriptors
{
    /// <summary>
    /// Marks every descriptor of this process from 3 up close-on-exec. .NET opens its own that way,
    /// but descriptors this process inherited (a lock file of the caller's, the write end of a pipe
    /// someone reads to its end) would otherwise pass to a child that outlives this process (QEMU, the
    /// podman service) and stay open for as long as it runs: a caller's lock held for hours.
    /// </summary>
    public static void MarkCloseOnExec()
    {
        const int closeRangeCloexec = 4, getFlags = 1, setFlags = 2, closeOnExec = 1;
        try
        {
            if (close_range(3, uint.MaxValue, closeRangeCloexec) == 0)
            {
                return;
            }
        }
        catch (EntryPointNotFoundException)
        {
            // a C library without close_range: one descriptor at a time below
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (int.TryParse(System.IO.Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var fd) && fd > 2)
            {
                var flags = fcntl(fd, getFlags, 0);
                if (flags >= 0 && (flags & closeOnExec) == 0)
                {
                    _ = fcntl(fd, setFlags, flags | closeOnExec);
                }
            }
        }
    }

#pragma warning disable SYSLIB1054 // plain int arguments: no marshalling, and no unsafe code needed for DllImport
    [DllImport("libc", SetLastError = true)]
    private static extern int close_range(uint first, uint last, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fcntl(int fd, int command, int argument);
#pragma warning restore SYSLIB1054
}
