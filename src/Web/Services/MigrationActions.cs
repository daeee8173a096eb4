using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Services;

/// <summary>What the dashboard does to move machines: a pre-flight, a migration, an evacuation.</summary>
public interface IMigrationActions
{
    Task<ServiceResult<MigrationPreflight>> PreflightAsync(Guid machineId, string host, bool? live, CancellationToken cancellationToken = default);

    Task<ServiceResult<OperationAccepted>> MigrateAsync(Guid machineId, string host, bool? live, CancellationToken cancellationToken = default);

    Task<ServiceResult<OperationAccepted>> EvacuateAsync(Guid hostId, int concurrency, CancellationToken cancellationToken = default);
}

/// <summary>Moves run in the signed-in user's name and are audited (a pre-flight only reads).</summary>
public sealed class MigrationActions(MigrationService migrations, DashboardCaller caller) : IMigrationActions
{
    public Task<ServiceResult<MigrationPreflight>> PreflightAsync(Guid machineId, string host, bool? live, CancellationToken cancellationToken = default) =>
        migrations.PreflightAsync(machineId, host, live, cancellationToken);

    public async Task<ServiceResult<OperationAccepted>> MigrateAsync(Guid machineId, string host, bool? live, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("machine.migrate", await caller.MachineAsync(machineId),
            user => migrations.MigrateAsync(machineId, new MigrateRequest(host, live), user, cancellationToken), $"to {host}{(live is { } l ? l ? ", live" : ", offline" : "")}");

    public async Task<ServiceResult<OperationAccepted>> EvacuateAsync(Guid hostId, int concurrency, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("host.evacuate", await caller.HostAsync(hostId),
            user => migrations.EvacuateAsync(hostId.ToString(), new EvacuateRequest(concurrency), user, cancellationToken), $"{concurrency} at a time");
}
