using Ringmaster.Core.Contracts;
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

/// <summary>The tabs' reads and actions, server-side through the same services as the REST API.</summary>
public sealed class MachineSavedStates(SnapshotService snapshots, BackupService backups, ScheduleService schedules) : IMachineSavedStates
{
    public Task<IReadOnlyList<ScheduleView>> SchedulesAsync(CancellationToken cancellationToken = default) => schedules.ListAsync(cancellationToken);

    public Task<ServiceResult<ScheduleView>> CreateScheduleAsync(CreateScheduleRequest request, CancellationToken cancellationToken = default) =>
        schedules.CreateAsync(request, cancellationToken);

    public Task<bool> DeleteScheduleAsync(Guid scheduleId, CancellationToken cancellationToken = default) => schedules.DeleteAsync(scheduleId, cancellationToken);

    public async Task<IReadOnlyList<SnapshotView>> SnapshotsAsync(Guid machineId, CancellationToken cancellationToken = default) =>
        await snapshots.TreeAsync(machineId, cancellationToken) ?? [];

    public Task<ServiceResult<OperationAccepted>> TakeSnapshotAsync(Guid machineId, TakeSnapshotRequest request, CancellationToken cancellationToken = default) =>
        snapshots.TakeAsync(machineId, request, MachineActions.User, cancellationToken);

    public Task<ServiceResult<OperationAccepted>> RevertAsync(Guid machineId, string snapshot, CancellationToken cancellationToken = default) =>
        snapshots.RevertAsync(machineId, snapshot, MachineActions.User, cancellationToken);

    public Task<ServiceResult<OperationAccepted>> CloneAsync(Guid machineId, CloneMachineRequest request, CancellationToken cancellationToken = default) =>
        snapshots.CloneAsync(machineId, request, MachineActions.User, cancellationToken);

    public Task<ServiceResult<OperationAccepted>> DeleteSnapshotAsync(Guid machineId, string snapshot, CancellationToken cancellationToken = default) =>
        snapshots.DeleteAsync(machineId, snapshot, MachineActions.User, cancellationToken);

    public Task<IReadOnlyList<BackupView>> BackupsAsync(Guid machineId, CancellationToken cancellationToken = default) =>
        backups.ListAsync(machineId, cancellationToken);

    public Task<ServiceResult<OperationAccepted>> BackupAsync(Guid machineId, BackupMachineRequest request, CancellationToken cancellationToken = default) =>
        backups.BackupAsync(machineId, request, MachineActions.User, cancellationToken);

    public Task<ServiceResult<OperationAccepted>> RestoreAsync(Guid backupId, RestoreBackupRequest request, CancellationToken cancellationToken = default) =>
        backups.RestoreAsync(backupId, request, MachineActions.User, cancellationToken);

    public Task<ServiceResult<OperationAccepted>> VerifyAsync(Guid backupId, VerifyBackupRequest request, CancellationToken cancellationToken = default) =>
        backups.VerifyAsync(backupId, request, MachineActions.User, cancellationToken);
}
