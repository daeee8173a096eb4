using System.Runtime.InteropServices;

namespace Ringmaster.Shared;

/// <summary>
/// Keeps what Ringmaster stores readable by its own user only: the database (password and token
/// hashes, the audit), backups, VM disks and memory states. The web and the agent set the process
/// umask to 077 as they start, so every file and folder they (or SQLite, or any library they use)
/// create is born 0600 / 0700, and make what is already in their data folders so at start.
/// </summary>
/// <remarks>
/// The umask, rather than a mode at each place a file is made, because files are made in many places
/// and by code that is not ours: SQLite makes its -wal, -shm and journal files itself, ZIP and tar
/// writers, File.Copy, temporary files. A mode given at each call would be right only where someone
/// remembered to give it; the umask is right for the next file someone adds too. It is process-wide,
/// so children that are not Ringmaster's (the container engine's service, the image build script and
/// the apt-get it runs) are started with the umask the process had before (<see cref="ShellUmask"/>).
/// </remarks>
public static partial class PrivateData
{
    private const UnixFileMode GroupAndOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static readonly Lock s_lock = new();
    private static uint? s_inherited;

    /// <summary>Sets the process umask to 077 (once; later calls do nothing).</summary>
    public static void RestrictNewFiles()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        lock (s_lock)
        {
            s_inherited ??= Umask(0b000_111_111);
        }
    }

    /// <summary>
    /// A shell command prefix that gives a child process the umask this process had before
    /// <see cref="RestrictNewFiles"/> (empty when it never ran): for programs whose files are not ours.
    /// </summary>
    public static string ShellUmask
    {
        get
        {
            lock (s_lock)
            {
                return s_inherited is { } mask ? $"umask {Convert.ToString(mask, 8).PadLeft(4, '0')}; " : "";
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="folder"/> (created when missing) and everything in it readable by the
    /// owner only: group and other permission bits are removed, the owner's are kept. Symbolic links
    /// inside are not followed (what they point to is not ours); entries that cannot be changed are left.
    /// </summary>
    public static void Secure(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Restrict(new DirectoryInfo(folder));
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            IgnoreInaccessible = true,
            ReturnSpecialDirectories = false,
        };
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos("*", options))
        {
            Restrict(entry);
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Restrict(FileSystemInfo entry)
    {
        try
        {
            var mode = entry.UnixFileMode;
            if ((mode & GroupAndOthers) != 0)
            {
                entry.UnixFileMode = mode & ~GroupAndOthers;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone meanwhile, or not ours to change.
        }
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);
}
