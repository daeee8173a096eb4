using Microsoft.Extensions.Options;

namespace Ringmaster.Agents;

/// <summary>
/// The folder this agent writes backups to and restores them from: <c>Agent:BackupStore</c>, or
/// <c>backups</c> in the agent's data folder. Two agents configured with the same folder (a shared
/// mount) restore each other's backups. One archive per backup, named by the backup's id.
/// </summary>
public sealed class BackupStore
{
    public BackupStore(IOptions<AgentOptions> options)
        : this(options.Value.BackupStore is { Length: > 0 } configured ? System.IO.Path.GetFullPath(configured) : System.IO.Path.Combine(System.IO.Path.GetFullPath(options.Value.Data), "backups"),
            shared: options.Value.BackupStore is { Length: > 0 })
    {
    }

    public BackupStore(string path, bool shared = false)
    {
        Path = path;
        Shared = shared;
    }

    public string Path { get; }

    /// <summary>A folder named by configuration, which other agents may write to as well; the default folder is this agent's own.</summary>
    public bool Shared { get; }

    /// <summary>Where a file is written before it is complete: a name the store's listing never takes for an archive.</summary>
    public static bool IsUnfinished(string file) => file.EndsWith(".tmp", StringComparison.Ordinal) || file.EndsWith(".part", StringComparison.Ordinal);

    /// <summary>The archive file of a VM backup.</summary>
    public string ArchiveOf(Guid backupId) => System.IO.Path.Combine(Path, backupId.ToString("N") + ".rmbak");

    /// <summary>The archive file of a container backup (a filesystem export plus settings).</summary>
    public string ContainerArchiveOf(Guid backupId) => System.IO.Path.Combine(Path, backupId.ToString("N") + ".rmctr");

    public string Ensure()
    {
        Directory.CreateDirectory(Path);
        return Path;
    }
}
