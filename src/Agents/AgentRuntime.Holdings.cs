using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers;
using Ringmaster.Contracts;

namespace Ringmaster.Agents;

/// <summary>What the agent holds besides its guests (snapshots, backups, commands under way), and what a crash left half made.</summary>
public sealed partial class AgentRuntime
{
    /// <summary>
    /// Removes what commands interrupted by a crash left half made: unfinished files in the backup
    /// store (unless other agents share it) and in the download folder, and what each driver finds.
    /// Run once when the agent starts, before any command: nothing is being written yet.
    /// </summary>
    public async Task<IReadOnlyList<DiscardedLeftover>> DiscardLeftoversAsync(string dataPath, CancellationToken cancellationToken)
    {
        var discarded = new List<DiscardedLeftover>();
        if (!backups.Shared && Directory.Exists(backups.Path))
        {
            foreach (var file in Directory.EnumerateFiles(backups.Path).Where(BackupStore.IsUnfinished))
            {
                var name = Path.GetFileName(file);
                Guid? backupId = Guid.TryParseExact(name.Split('.')[0], "N", out var id) ? id : null;
                var what = name.Contains(".restore-", StringComparison.Ordinal)
                    ? $"the unpacked filesystem of an unfinished restore ({name}) in the backup store"
                    : $"an unfinished backup archive ({name}) in the backup store";
                discarded.AddRange(Leftovers.DeleteFile(file, what, null, logger, backupId));
            }
        }

        var downloads = Path.Combine(dataPath, "downloads");
        if (Directory.Exists(downloads))
        {
            foreach (var file in Directory.EnumerateFiles(downloads))
            {
                discarded.AddRange(Leftovers.DeleteFile(file, $"an unfinished image download ({Path.GetFileName(file)})", null, logger));
            }
        }

        foreach (var driver in drivers.All<IGuestLeftovers>())
        {
            try
            {
                discarded.AddRange(await driver.DiscardLeftoversAsync(cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or GuestException)
            {
                logger.LogWarning("Could not look for what interrupted commands left: {Reason}", ex.Message);
            }
        }

        foreach (var leftover in discarded)
        {
            logger.LogWarning("Removed {What} ({Bytes} bytes): an interrupted command left it unfinished", leftover.What, leftover.Bytes);
        }

        return discarded;
    }

    /// <summary>
    /// What the agent holds, for a registration: the commands under way (taken first, so that what
    /// the rest lists includes the work of every command not named), the snapshots of each guest
    /// and the backup store's complete archives.
    /// </summary>
    public async Task<AgentHoldings> HoldingsAsync(IReadOnlyList<CommandUnderWay> running, IReadOnlyList<GuestInfo> guests, IReadOnlyList<DiscardedLeftover> discarded, CancellationToken cancellationToken)
    {
        var snapshots = new List<GuestSnapshots>();
        foreach (var guest in guests)
        {
            if (drivers.Find<IGuestSnapshots>(guest.Kind) is not { } driver)
            {
                continue;
            }

            try
            {
                snapshots.Add(new GuestSnapshots(guest.Id, await driver.ListSnapshotsAsync(guest.Id, cancellationToken).ConfigureAwait(false)));
            }
            catch (GuestException ex)
            {
                logger.LogDebug("The snapshots of {Guest} could not be listed: {Reason}", guest.Name, ex.Message);
            }
        }

        List<HeldBackup>? held = [];
        if (Directory.Exists(backups.Path))
        {
            foreach (var driver in drivers.All<IGuestBackups>())
            {
                try
                {
                    held.AddRange(await driver.ListBackupsAsync(backups, cancellationToken).ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    logger.LogWarning("The backup store {Store} could not be read: {Reason}", backups.Path, ex.Message);
                    held = null;
                    break;
                }
            }
        }

        return new AgentHoldings(running, snapshots, held, discarded);
    }
}

/// <summary>Removing what a crash left half made, and saying what it was.</summary>
internal static class Leftovers
{
    public static IEnumerable<DiscardedLeftover> DeleteFile(string file, string what, Guid? machineId, ILogger logger, Guid? backupId = null)
    {
        long bytes;
        try
        {
            bytes = new FileInfo(file).Length;
            File.Delete(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not remove {File}: {Reason}", file, ex.Message);
            return [];
        }

        return [new DiscardedLeftover(what, machineId, bytes, backupId)];
    }

    public static IEnumerable<DiscardedLeftover> DeleteFolder(string folder, string what, Guid? machineId, ILogger logger)
    {
        long bytes;
        try
        {
            bytes = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not remove {Folder}: {Reason}", folder, ex.Message);
            return [];
        }

        return [new DiscardedLeftover(what, machineId, bytes)];
    }
}
