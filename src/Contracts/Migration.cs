namespace Ringmaster.Contracts;

/// <summary>The body of <c>POST /api/v1/machines/{id}/migrate</c>.</summary>
/// <param name="Host">The target host's name or id.</param>
/// <param name="Live">Move a running VM without stopping it (default: live when it runs and is a VM).</param>
public sealed record MigrateRequest(string? Host, bool? Live = null);

/// <summary>The body of <c>POST /api/v1/hosts/{id}/evacuate</c>.</summary>
/// <param name="Concurrency">How many machines move at once (1–8, default 2).</param>
public sealed record EvacuateRequest(int? Concurrency = null);

/// <summary>One pre-flight check of a migration.</summary>
public sealed record PreflightCheck(string Name, bool Passed, string Detail);

/// <summary>What <c>/api/v1/machines/{id}/migrate/preflight?host=</c> answers: every check, and whether the move can start.</summary>
public sealed record MigrationPreflight(
    Guid MachineId,
    string Machine,
    string? Source,
    string? Target,
    bool Live,
    bool CanMigrate,
    IReadOnlyList<PreflightCheck> Checks,
    bool ImageCopy = false);

/// <summary>What a finished migration reports (the operation's <c>result</c>).</summary>
public sealed record MigrationResult(
    Guid MachineId,
    string Machine,
    string Source,
    string Target,
    bool Live,
    double TotalMs,
    double? DowntimeMs,
    long Bytes,
    int Rounds,
    long Pages,
    bool ImageCopied,
    DowntimeBreakdown? Downtime = null);

/// <summary>Where a live migration's downtime went: the source's stop-and-copy, the trip through the relay, the target's load and resume.</summary>
public sealed record DowntimeBreakdown(double StopCopyMs, double RelayMs, double LoadMs, long FinalPages);

/// <summary>One machine of an evacuation, in the parent operation's result.</summary>
public sealed record EvacuationItem(Guid MachineId, string Machine, string? Target, bool Live, string State, Guid? OperationId, string? Error, double? DowntimeMs);

/// <summary>A file of a guest image and its SHA-256, to tell whether a target host has the same image.</summary>
public sealed record ImageFileHash(string Name, long Length, string Sha256);

/// <summary>A guest image by its files' checksums.</summary>
public sealed record ImageManifest(string Name, IReadOnlyList<ImageFileHash> Files)
{
    public long TotalBytes => Files.Sum(f => f.Length);
}

/// <summary>Server → agent: can this guest move here (target), or what does it need (source)?</summary>
/// <param name="Manifest">For the target: the image the source runs.</param>
public sealed record MigrationProbeRequest(Guid MachineId, string Name, MachineKind Kind, string Image, ImageManifest? Manifest = null);

/// <summary>An agent's answer to a <see cref="MigrationProbeRequest"/>.</summary>
/// <param name="NameFree">No other guest of that name or id on this host.</param>
/// <param name="ImagePresent">The target holds the same image (all checksums equal).</param>
/// <param name="Manifest">From the source: its image's checksums.</param>
public sealed record MigrationProbe(bool Supported, bool NameFree, bool ImagePresent, ImageManifest? Manifest, string? Detail);

/// <summary>What a migration command asks of an agent (source or target).</summary>
/// <param name="TransferId">The one-time transfer through the server that carries the guest.</param>
/// <param name="Live">Pre-copy memory while the guest runs (VMs only).</param>
/// <param name="SendImage">The source sends its image files too (the target lacks them).</param>
public sealed record MigrationOrder(Guid TransferId, bool Live, bool SendImage);

/// <summary>Figures an agent reports at the end of its side of a migration.</summary>
/// <param name="DowntimeMs">On the target: from the source's last pause to the resume here.</param>
/// <param name="StopCopyMs">On the source: from the last pause until the last frame was handed to the transfer.</param>
/// <param name="FinalPages">On the source: pages copied while the guest was paused.</param>
/// <param name="LoadMs">On the target: from the state's arrival to the resume.</param>
public sealed record MigrationFigures(long Bytes, int Rounds, long Pages, double? DowntimeMs = null, bool ImageCopied = false, double? StopCopyMs = null, long FinalPages = 0, double? LoadMs = null);
