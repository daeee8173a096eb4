using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>Records the migrations the dashboard asked for; pre-flights answer as the test says.</summary>
public sealed class FakeMigrationActions : IMigrationActions
{
    public List<string> Calls { get; } = [];

    /// <summary>The pre-flight answer per target host; every check passes when not set.</summary>
    public Func<Guid, string, bool?, ServiceResult<MigrationPreflight>>? OnPreflight { get; set; }

    public Task<ServiceResult<MigrationPreflight>> PreflightAsync(Guid machineId, string host, bool? live, CancellationToken cancellationToken = default)
    {
        Calls.Add($"preflight {machineId} {host} live={live}");
        return Task.FromResult(OnPreflight?.Invoke(machineId, host, live) ?? ServiceResult<MigrationPreflight>.Ok(Passing(machineId, host, live ?? false)));
    }

    public Task<ServiceResult<OperationAccepted>> MigrateAsync(Guid machineId, string host, bool? live, CancellationToken cancellationToken = default)
    {
        Calls.Add($"migrate {machineId} {host} live={live}");
        return Task.FromResult(FakeMachineActions.Accepted("machine.migrate", machineId, machineId.ToString()));
    }

    public Task<ServiceResult<OperationAccepted>> EvacuateAsync(Guid hostId, int concurrency, CancellationToken cancellationToken = default)
    {
        Calls.Add($"evacuate {hostId} {concurrency}");
        return Task.FromResult(ServiceResult<OperationAccepted>.Ok(new OperationAccepted(Sample.Operation("host.evacuate", hostId.ToString(), null, OperationStatus.Queued, 0), null)));
    }

    public static MigrationPreflight Passing(Guid machineId, string host, bool live) =>
        new(machineId, "web-1", "alpha", host, live, true,
        [
            new PreflightCheck("target online", true, $"{host} is online."),
            new PreflightCheck("capacity", true, $"1 vCPU, 256 MiB, 1 GiB fit on {host}."),
            new PreflightCheck("name", true, $"No other guest named web-1 on {host}."),
        ]);
}
