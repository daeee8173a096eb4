using Ringmaster.Agents.Drivers;
using Ringmaster.Contracts;

namespace Ringmaster.Agents;

/// <summary>Snapshots, clones, backups, restores and verifications: the commands about a guest's saved states.</summary>
public sealed partial class AgentRuntime
{
    /// <summary>The kind of guest a command is about when this agent does not know the machine (a restore, a verification).</summary>
    private GuestEngineKey? KindOf(AgentCommand command) => command switch
    {
        { Restore: { } restore } => GuestEngineKey.Of(restore.Definition),
        { CloneOf: { } clone } => GuestEngineKey.Of(clone.Definition),
        { Kind: AgentCommandKind.DeleteBackup } => MachineKind.Vm,
        { Verify: { } verify } => File.Exists(backups.ContainerArchiveOf(verify.BackupId)) ? MachineKind.Container : MachineKind.Vm,
        _ => null,
    };

    private async Task<CommandResult> ExecuteSavedStateAsync(AgentCommand command, GuestEngineKey? kind, IProgress<int> progress, CancellationToken ct)
    {
        if (command.Kind == AgentCommandKind.DeleteBackup)
        {
            var request = command.Backup ?? throw new GuestException("A delete command names its backup.");
            File.Delete(backups.ArchiveOf(request.BackupId));
            File.Delete(backups.ContainerArchiveOf(request.BackupId));
            return new CommandResult(command.CommandId, true, null, null);
        }

        var known = kind ?? throw new GuestNotFoundException(command.MachineId);
        var driver = drivers.For<IGuestDriver>(known);
        if (command.Kind is AgentCommandKind.Backup or AgentCommandKind.Restore or AgentCommandKind.VerifyBackup)
        {
            var backupDriver = drivers.For<IGuestBackups>(known);
            switch (command.Kind)
            {
                case AgentCommandKind.Backup:
                {
                    var request = command.Backup ?? throw new GuestException("A backup command needs its request.");
                    var info = await backupDriver.BackupAsync(command.MachineId, request, backups, progress, ct).ConfigureAwait(false);
                    return new CommandResult(command.CommandId, true, null, null, Backup: info);
                }

                case AgentCommandKind.Restore:
                {
                    var request = command.Restore ?? throw new GuestException("A restore command needs its request.");
                    await consoles.CloseAsync(request.Definition.Id).ConfigureAwait(false);
                    GuestInfo guest;
                    try
                    {
                        guest = await backupDriver.RestoreAsync(request, backups, progress, ct).ConfigureAwait(false);
                    }
                    catch (BackupMissingException ex)
                    {
                        // NotFound tells the server to bring the archive here (or say why it cannot).
                        return new CommandResult(command.CommandId, false, null, ex.Message, NotFound: true);
                    }

                    _kinds[guest.Id] = guest.Kind;
                    if (guest.State == MachineState.Running)
                    {
                        await consoles.OpenAsync(driver, guest.Id).ConfigureAwait(false);
                    }

                    return new CommandResult(command.CommandId, true, guest, null);
                }

                default:
                {
                    var request = command.Verify ?? throw new GuestException("A verify command needs its request.");
                    var report = await backupDriver.VerifyAsync(request, backups, progress, ct).ConfigureAwait(false);
                    return new CommandResult(command.CommandId, true, null, null, Verify: report);
                }
            }
        }

        var snapshots = drivers.For<IGuestSnapshots>(known);
        var id = command.MachineId;
        switch (command.Kind)
        {
            case AgentCommandKind.Snapshot:
            {
                var request = command.Snapshot ?? throw new GuestException("A snapshot command needs its request.");
                var info = await snapshots.TakeSnapshotAsync(id, request, ct).ConfigureAwait(false);
                return new CommandResult(command.CommandId, true, await GuestAsync(driver, id, ct).ConfigureAwait(false), null, Snapshot: info);
            }

            case AgentCommandKind.RevertSnapshot:
            {
                var request = command.Snapshot ?? throw new GuestException("A revert command names its snapshot.");
                await consoles.CloseAsync(id).ConfigureAwait(false);
                var guest = await snapshots.RevertSnapshotAsync(id, request.SnapshotId, ct).ConfigureAwait(false);
                if (guest.State == MachineState.Running)
                {
                    await consoles.OpenAsync(driver, id).ConfigureAwait(false);
                }

                return new CommandResult(command.CommandId, true, guest, null);
            }

            case AgentCommandKind.DeleteSnapshot:
            {
                var request = command.Snapshot ?? throw new GuestException("A delete command names its snapshot.");
                await snapshots.DeleteSnapshotAsync(id, request.SnapshotId, ct).ConfigureAwait(false);
                return new CommandResult(command.CommandId, true, await GuestAsync(driver, id, ct).ConfigureAwait(false), null);
            }

            default:
            {
                var request = command.CloneOf ?? throw new GuestException("A clone command needs its request.");
                var guest = await snapshots.CloneAsync(id, request, progress, ct).ConfigureAwait(false);
                _kinds[guest.Id] = guest.Kind;
                if (guest.State == MachineState.Running)
                {
                    await consoles.OpenAsync(driver, guest.Id).ConfigureAwait(false);
                }

                return new CommandResult(command.CommandId, true, guest, null);
            }
        }
    }

    private static async Task<GuestInfo?> GuestAsync(IGuestDriver driver, Guid id, CancellationToken ct) =>
        (await driver.ListAsync(ct).ConfigureAwait(false)).FirstOrDefault(g => g.Id == id);
}
