using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Services;

/// <summary>What the machine page's Snapshots and Backups tabs read and do.</summary>
public interface IMachineSavedStates
{
    Task<IReadOnlyList<SnapshotView>> SnapshotsAsync(Guid machineId, CancellationToken cancellationToken = default);

    Task<ServiceResult<OperationAccepted>> TakeSnapshotAsync(Guid machineId, TakeSnapshotRequest request, CancellationToken cancellationToken = default);

    Task<ServiceResult<OperationAccepted>> RevertAsync(Guid machineId, string snapshot, CancellationToken cancellationToken = default);

    Task<ServiceResult<OperationAccepted>> DeleteSnapshotAsync(Guid machineId, string snapshot, CancellationToken cancellationToken = default);

    Task<ServiceResult<OperationAccepted>> CloneAsync(Guid machineId, CloneMachineRequest request, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<BackupView>> BackupsAsync(Guid machineId, CancellationToken cancellationToken = default);

    Task<ServiceResult<OperationAccepted>> BackupAsync(Guid machineId, BackupMachineRequest request, CancellationToken cancellationToken = default);

    Task<ServiceResult<OperationAccepted>> RestoreAsync(Guid backupId, RestoreBackupRequest request, CancellationToken cancellationToken = default);

    Task<ServiceResult<OperationAccepted>> VerifyAsync(Guid backupId, VerifyBackupRequest request, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ScheduleView>> SchedulesAsync(CancellationToken cancellationToken = default);

    Task<ServiceResult<ScheduleView>> CreateScheduleAsync(CreateScheduleRequest request, CancellationToken cancellationToken = default);

    Task<bool> DeleteScheduleAsync(Guid scheduleId, CancellationToken cancellationToken = default);
}

/// <summary>
/// The tabs' reads and actions, server-side through the same services as the REST API, each change
/// in the signed-in user's name and audited with the names of what it touched.
/// </summary>
public sealed class MachineSavedStates(SnapshotService snapshots, BackupService backups, ScheduleService schedules, DashboardCaller caller) : IMachineSavedStates
{
    public Task<IReadOnlyList<ScheduleView>> SchedulesAsync(CancellationToken cancellationToken = default) => schedules.ListAsync(cancellationToken);

    public Task<ServiceResult<ScheduleView>> CreateScheduleAsync(CreateScheduleRequest request, CancellationToken cancellationToken = default) =>
        caller.RunAsync("schedule.create", request.Name ?? "", _ => schedules.CreateAsync(request, cancellationToken), $"{request.Job} at '{request.Cron}'");

    public async Task<bool> DeleteScheduleAsync(Guid scheduleId, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("schedule.delete", await caller.ScheduleAsync(scheduleId), () => schedules.DeleteAsync(scheduleId, cancellationToken));

    public async Task<IReadOnlyList<SnapshotView>> SnapshotsAsync(Guid machineId, CancellationToken cancellationToken = default) =>
        await snapshots.TreeAsync(machineId, cancellationToken) ?? [];

    public async Task<ServiceResult<OperationAccepted>> TakeSnapshotAsync(Guid machineId, TakeSnapshotRequest request, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("snapshot.create", $"{await caller.MachineAsync(machineId)}/{request.Name}",
            user => snapshots.TakeAsync(machineId, request, user, cancellationToken), request.IncludeMemory == true ? "with memory" : null);

    public async Task<ServiceResult<OperationAccepted>> RevertAsync(Guid machineId, string snapshot, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("snapshot.revert", $"{await caller.MachineAsync(machineId)}/{snapshot}", user => snapshots.RevertAsync(machineId, snapshot, user, cancellationToken));

    public async Task<ServiceResult<OperationAccepted>> CloneAsync(Guid machineId, CloneMachineRequest request, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("machine.clone", await caller.MachineAsync(machineId), user => snapshots.CloneAsync(machineId, request, user, cancellationToken), $"as {request.Name}");

    public async Task<ServiceResult<OperationAccepted>> DeleteSnapshotAsync(Guid machineId, string snapshot, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("snapshot.delete", $"{await caller.MachineAsync(machineId)}/{snapshot}", user => snapshots.DeleteAsync(machineId, snapshot, user, cancellationToken));

    public Task<IReadOnlyList<BackupView>> BackupsAsync(Guid machineId, CancellationToken cancellationToken = default) =>
        backups.ListAsync(machineId, cancellationToken);

    public async Task<ServiceResult<OperationAccepted>> BackupAsync(Guid machineId, BackupMachineRequest request, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("machine.backup", await caller.MachineAsync(machineId), user => backups.BackupAsync(machineId, request, user, cancellationToken),
            request.IncludeMemory == true ? "with memory" : null);

    public async Task<ServiceResult<OperationAccepted>> RestoreAsync(Guid backupId, RestoreBackupRequest request, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("backup.restore", await caller.BackupAsync(backupId), user => backups.RestoreAsync(backupId, request, user, cancellationToken),
            request.Name is { Length: > 0 } name ? $"as {name}" : "in place");

    public async Task<ServiceResult<OperationAccepted>> VerifyAsync(Guid backupId, VerifyBackupRequest request, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("backup.verify", await caller.BackupAsync(backupId), user => backups.VerifyAsync(backupId, request, user, cancellationToken),
            request.TestBoot == true ? "with a test boot" : null);
}
