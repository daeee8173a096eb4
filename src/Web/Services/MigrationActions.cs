using Ringmaster.Core.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Services;

/// <summary>What the dashboard does to move machines: a pre-flight, a migration, an evacuation.</summary>
public interface IMigrationActions
{
    Task<ServiceResult<MigrationPreflight>> PreflightAsync(Guid machineId, string host, bool? live, CancellationToken cancellationToken = default);

    Task<ServiceResult<OperationAccepted>> MigrateAsync(Guid machineId, string host, bool? live, CancellationToken cancellationToken = default);

    Task<ServiceResult<OperationAccepted>> EvacuateAsync(Guid hostId, int concurrency, CancellationToken cancellationToken = default);
}

public sealed class MigrationActions(MigrationService migrations) : IMigrationActions
{
    public Task<ServiceResult<MigrationPreflight>> PreflightAsync(Guid machineId, string host, bool? live, CancellationToken cancellationToken = default) =>
        migrations.PreflightAsync(machineId, host, live, cancellationToken);

    public Task<ServiceResult<OperationAccepted>> MigrateAsync(Guid machineId, string host, bool? live, CancellationToken cancellationToken = default) =>
        migrations.MigrateAsync(machineId, new MigrateRequest(host, live), MachineActions.User, cancellationToken);

    public Task<ServiceResult<OperationAccepted>> EvacuateAsync(Guid hostId, int concurrency, CancellationToken cancellationToken = default) =>
        migrations.EvacuateAsync(hostId.ToString(), new EvacuateRequest(concurrency), MachineActions.User, cancellationToken);
}
