using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>Snapshots and backups the test sets up; records what the tabs asked for and answers as the test says.</summary>
public sealed class FakeSavedStates : IMachineSavedStates
{
    public List<SnapshotView> Snapshots { get; } = [];
    public List<BackupView> Backups { get; } = [];
    public List<ScheduleView> Schedules { get; } = [];
    public Func<CreateScheduleRequest, ServiceResult<ScheduleView>>? OnCreateSchedule { get; set; }
    public List<string> Calls { get; } = [];
    public Func<string, ServiceResult<OperationAccepted>>? OnCall { get; set; }

    private Task<ServiceResult<OperationAccepted>> Answer(string call, Guid machineId)
    {
        Calls.Add(call);
        return Task.FromResult(OnCall?.Invoke(call) ?? FakeMachineActions.Accepted(call.Split(' ')[0], machineId, call));
    }

    public Task<IReadOnlyList<SnapshotView>> SnapshotsAsync(Guid machineId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<SnapshotView>>([.. Snapshots]);

    public Task<ServiceResult<OperationAccepted>> TakeSnapshotAsync(Guid machineId, TakeSnapshotRequest request, CancellationToken cancellationToken = default) =>
        Answer($"snapshot.create {request.Name} memory={request.IncludeMemory}", machineId);

    public Task<ServiceResult<OperationAccepted>> RevertAsync(Guid machineId, string snapshot, CancellationToken cancellationToken = default) =>
        Answer($"snapshot.revert {snapshot}", machineId);

    public Task<ServiceResult<OperationAccepted>> DeleteSnapshotAsync(Guid machineId, string snapshot, CancellationToken cancellationToken = default) =>
        Answer($"snapshot.delete {snapshot}", machineId);

    public Task<ServiceResult<OperationAccepted>> CloneAsync(Guid machineId, CloneMachineRequest request, CancellationToken cancellationToken = default) =>
        Answer($"machine.clone {request.Name} linked={request.Linked} host={request.Host ?? "(same)"} memory={request.IncludeMemory}", machineId);

    public Task<IReadOnlyList<BackupView>> BackupsAsync(Guid machineId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<BackupView>>([.. Backups]);

    public Task<ServiceResult<OperationAccepted>> BackupAsync(Guid machineId, BackupMachineRequest request, CancellationToken cancellationToken = default) =>
        Answer($"machine.backup memory={request.IncludeMemory}", machineId);

    public Task<ServiceResult<OperationAccepted>> RestoreAsync(Guid backupId, RestoreBackupRequest request, CancellationToken cancellationToken = default) =>
        Answer($"backup.restore {backupId} as={request.Name ?? "(replace)"}", Guid.Empty);

    public Task<ServiceResult<OperationAccepted>> VerifyAsync(Guid backupId, VerifyBackupRequest request, CancellationToken cancellationToken = default) =>
        Answer($"backup.verify {backupId} boot={request.TestBoot}", Guid.Empty);

    public Task<IReadOnlyList<ScheduleView>> SchedulesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ScheduleView>>([.. Schedules]);

    public Task<ServiceResult<ScheduleView>> CreateScheduleAsync(CreateScheduleRequest request, CancellationToken cancellationToken = default)
    {
        Calls.Add($"schedule.create {request.Name} {request.Job} '{request.Cron}' machine={request.Machine ?? "-"} selector={request.Selector ?? "-"} keep={request.KeepLast}/{request.KeepDaily}/{request.KeepWeekly}");
        var result = OnCreateSchedule?.Invoke(request) ?? ServiceResult<ScheduleView>.Ok(new ScheduleView(Guid.NewGuid(), request.Name!, request.Job!, request.Cron!, null, request.Selector,
            request.IncludeMemory ?? false, request.KeepLast ?? 0, request.KeepDaily ?? 0, request.KeepWeekly ?? 0, true, null, DateTimeOffset.UtcNow.AddHours(1)));
        if (result.Kind == ResultKind.Ok)
        {
            Schedules.Add(result.Value!);
        }

        return Task.FromResult(result);
    }

    public Task<bool> DeleteScheduleAsync(Guid scheduleId, CancellationToken cancellationToken = default)
    {
        Calls.Add($"schedule.delete {Schedules.FirstOrDefault(s => s.Id == scheduleId)?.Name}");
        return Task.FromResult(Schedules.RemoveAll(s => s.Id == scheduleId) > 0);
    }
}
