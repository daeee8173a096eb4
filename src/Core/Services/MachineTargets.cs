using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>Finds a machine and its host, ready for work: the host's agent connected and the machine not busy.</summary>
internal static class MachineTargets
{
    public static async Task<ServiceResult<(MachineEntity Machine, HostEntity Host)>> FindAsync(RingmasterDbContext db, IAgentGateway agents, Guid machineId, CancellationToken cancellationToken)
    {
        var machine = await db.Machines.AsNoTracking().FirstOrDefaultAsync(m => m.Id == machineId, cancellationToken).ConfigureAwait(false);
        if (machine is null)
        {
            return ServiceResult<(MachineEntity, HostEntity)>.NotFound($"No machine {machineId}.");
        }

        var host = machine.HostId is { } hostId ? await db.Hosts.AsNoTracking().FirstOrDefaultAsync(h => h.Id == hostId, cancellationToken).ConfigureAwait(false) : null;
        if (host is null || !host.Online || !agents.IsConnected(host.Id))
        {
            return ServiceResult<(MachineEntity, HostEntity)>.Conflict($"Machine {machine.Name} cannot be reached: its host is offline.");
        }

        if (machine.State is MachineState.Creating or MachineState.Deleting or MachineState.Migrating or MachineState.Lost or MachineState.Unknown)
        {
            return ServiceResult<(MachineEntity, HostEntity)>.Conflict($"Machine {machine.Name} is {machine.State}; try again when it is done.");
        }

        return ServiceResult<(MachineEntity, HostEntity)>.Ok((machine, host));
    }

    public static ServiceResult<T> As<T>(this ServiceResult<(MachineEntity Machine, HostEntity Host)> result) =>
        new(result.Kind, default, result.Message, result.Errors);

    public static async Task RemoveRecordAsync(IDbContextFactory<RingmasterDbContext> dbFactory, LiveFeed feed, Guid machineId)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        var machine = await db.Machines.FindAsync(machineId).ConfigureAwait(false);
        if (machine is null)
        {
            return;
        }

        db.Machines.Remove(machine);
        await db.SaveChangesAsync().ConfigureAwait(false);
        feed.Publish(new MachineRemoved(machineId, machine.Name));
    }
}
