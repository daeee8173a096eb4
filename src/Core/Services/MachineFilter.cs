using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>
/// What a list of machines is filtered by, applied in the database by the API's list and the
/// dashboard's grid alike: part of the name, state, kind, host and a label (<c>key</c> or
/// <c>key=value</c>, looked up in the indexed label rows, <see cref="MachineLabelIndex"/>).
/// </summary>
public sealed record MachineFilter(string? NameContains = null, MachineState? State = null, MachineKind? Kind = null, IReadOnlyCollection<Guid>? HostIds = null, string? Label = null)
{
    public IQueryable<MachineEntity> Apply(RingmasterDbContext db, IQueryable<MachineEntity> machines)
    {
        if (!string.IsNullOrWhiteSpace(NameContains))
        {
            var name = NameContains.Trim();
            machines = machines.Where(m => m.Name.Contains(name));
        }

        if (State is { } state)
        {
            machines = machines.Where(m => m.State == state);
        }

        if (Kind is { } kind)
        {
            machines = machines.Where(m => m.Kind == kind);
        }

        if (HostIds is { } hosts)
        {
            machines = machines.Where(m => m.HostId != null && hosts.Contains(m.HostId.Value));
        }

        if (!string.IsNullOrWhiteSpace(Label))
        {
            var (key, value) = SplitLabel(Label);
            var labels = db.MachineLabels.Where(l => l.Key == key);
            if (value is not null)
            {
                labels = labels.Where(l => l.Value == value);
            }

            machines = machines.Where(m => labels.Any(l => l.MachineId == m.Id));
        }

        return machines;
    }

    /// <summary><c>key</c> or <c>key=value</c>, trimmed around the key.</summary>
    public static (string Key, string? Value) SplitLabel(string label)
    {
        var eq = label.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? (label.Trim(), null) : (label[..eq].Trim(), label[(eq + 1)..]);
    }
}
