using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>Turns entities into the records that cross the wire.</summary>
public static class Views
{
    /// <summary>A stored time as the API shows it: UTC, to the microsecond (what PostgreSQL keeps), so it reads the same before and after the database.</summary>
    public static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value.AddTicks(-(value.Ticks % TimeSpan.TicksPerMicrosecond)), DateTimeKind.Utc));

    public static DateTimeOffset? Utc(DateTime? value) => value is null ? null : Utc(value.Value);

    public static MachineView ToView(this MachineEntity m, string? hostName) => new(
        m.Id, m.Name, m.Kind, m.State, m.LastKnownState, m.Template, m.Image, m.HostId, hostName, m.Spec,
        m.Labels, m.Detail, Utc(m.CreatedAt), Utc(m.UpdatedAt), m.Project, m.Version, m.EngineOf(), m.Iso, Utc(m.StartedAt));

    public static HostView ToView(this HostEntity h, int machineCount) => new(
        h.Id, h.Name, h.Online, Utc(h.RegisteredAt), Utc(h.LastSeenAt), h.AgentVersion, h.Capabilities,
        h.CpuPercent, h.MemoryUsedBytes, machineCount);

    public static OperationView ToView(this OperationEntity o, bool includeLog = false) => new(
        o.Id, o.Kind, o.State, o.Progress, o.Message, o.Error,
        o.ResultJson is null ? null : JsonDocument.Parse(o.ResultJson).RootElement.Clone(),
        o.MachineId, o.Target, o.User, Utc(o.CreatedAt), Utc(o.StartedAt), Utc(o.EndedAt),
        includeLog ? o.Log : null,
        o.Project);

    public static TemplateView ToView(this TemplateEntity t) => new(t.Name, t.Kind, t.Image, t.Description, t.Vcpus, t.MemoryMiB, t.DiskGiB, Engine: t.EngineOf());

    public static EventView ToView(this EventEntity e) => new(e.Id, Utc(e.At), e.Type, e.MachineId, e.HostId, e.Message);

    /// <summary>The names of the hosts of <paramref name="machines"/> (one query for the page).</summary>
    public static async Task<Dictionary<Guid, string>> HostNamesAsync(RingmasterDbContext db, IEnumerable<MachineEntity> machines, CancellationToken cancellationToken)
    {
        var ids = machines.Where(m => m.HostId != null).Select(m => m.HostId!.Value).Distinct().ToList();
        return ids.Count == 0 ? [] : await db.Hosts.AsNoTracking().Where(h => ids.Contains(h.Id)).ToDictionaryAsync(h => h.Id, h => h.Name, cancellationToken);
    }

    /// <summary>One machine as the API shows it, with its host's name; null when there is none (or the caller may not see it).</summary>
    public static async Task<MachineView?> MachineAsync(RingmasterDbContext db, Guid id, CancellationToken cancellationToken)
    {
        var machine = await db.Machines.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, cancellationToken);
        if (machine is null)
        {
            return null;
        }

        var host = machine.HostId is { } hostId ? await db.Hosts.AsNoTracking().Where(h => h.Id == hostId).Select(h => h.Name).FirstOrDefaultAsync(cancellationToken) : null;
        return machine.ToView(host);
    }
}
