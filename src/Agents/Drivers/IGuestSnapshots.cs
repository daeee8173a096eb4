using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers;

/// <summary>
/// What a driver offers on top of <see cref="IGuestDriver"/> for a guest's saved states: snapshots
/// (a tree: a revert followed by a new snapshot starts a branch), clones and backups. Each engine
/// does what it can and says plainly (a <see cref="GuestException"/>) what it cannot.
/// </summary>
public interface IGuestSnapshots : IGuestCapability
{
    Task<SnapshotInfo> TakeSnapshotAsync(Guid id, SnapshotRequest request, CancellationToken cancellationToken);

    /// <summary>Goes back to a snapshot; a snapshot with memory resumes running from that point.</summary>
    Task<GuestInfo> RevertSnapshotAsync(Guid id, Guid snapshotId, CancellationToken cancellationToken);

    /// <summary>Deletes a snapshot; its children keep everything they need.</summary>
    Task DeleteSnapshotAsync(Guid id, Guid snapshotId, CancellationToken cancellationToken);

    Task<IReadOnlyList<SnapshotInfo>> ListSnapshotsAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Makes a new guest (<see cref="CloneRequest.Definition"/>) from the guest <paramref name="id"/>.</summary>
    Task<GuestInfo> CloneAsync(Guid id, CloneRequest request, IProgress<int> progress, CancellationToken cancellationToken);
}

/// <summary>Backups into a folder (the agent's backup store), restores and verifications from it.</summary>
public interface IGuestBackups : IGuestCapability
{
    Task<BackupInfo> BackupAsync(Guid id, BackupRequest request, BackupStore store, IProgress<int> progress, CancellationToken cancellationToken);

    Task<GuestInfo> RestoreAsync(RestoreRequest request, BackupStore store, IProgress<int> progress, CancellationToken cancellationToken);

    Task<VerifyReport> VerifyAsync(VerifyRequest request, BackupStore store, IProgress<int> progress, CancellationToken cancellationToken);

    /// <summary>The complete archives of this kind in the store (for the server to adopt those it does not know).</summary>
    Task<IReadOnlyList<HeldBackup>> ListBackupsAsync(BackupStore store, CancellationToken cancellationToken);
}

/// <summary>A backup (or one it is incremental to) is not in this host's backup store.</summary>
public sealed class BackupMissingException(string message) : GuestException(message);
