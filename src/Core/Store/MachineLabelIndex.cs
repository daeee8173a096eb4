using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Ringmaster.Core.Domain;

namespace Ringmaster.Core.Store;

/// <summary>
/// Keeps <see cref="MachineLabelEntity"/> rows equal to each machine's labels, in the same save,
/// whichever code changed them (a new machine, an adopted guest, a clone, a patch), so that filtering
/// by a label is an index lookup on SQLite and PostgreSQL alike. A bulk update that bypasses the
/// change tracker calls <see cref="SyncAsync"/> itself; deleting a machine deletes its rows (cascade).
/// </summary>
public sealed class MachineLabelIndex : SaveChangesInterceptor
{
    public static MachineLabelIndex Instance { get; } = new();

    /// <summary>Labels longer than the index's columns stay on the machine but out of the index.</summary>
    private static bool Indexable(KeyValuePair<string, string> label) => label.Key.Length is > 0 and <= 63 && label.Value.Length <= 256;

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (eventData.Context is RingmasterDbContext db)
        {
            Index(db, Load(db, Changed(db)));
        }

        return result;
    }

    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is RingmasterDbContext db)
        {
            var changed = Changed(db);
            if (changed.Count > 0)
            {
                var ids = changed.Where(m => m.State != EntityState.Added).Select(m => m.Entity.Id).ToList();
                var existing = ids.Count == 0 ? [] : await db.MachineLabels.Where(l => ids.Contains(l.MachineId)).ToListAsync(cancellationToken).ConfigureAwait(false);
                Index(db, (changed, existing));
            }
        }

        return result;
    }

    /// <summary>Sets the rows of one machine to <paramref name="labels"/> and saves them (for changes made without the change tracker).</summary>
    public static async Task SyncAsync(RingmasterDbContext db, Guid machineId, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        await db.MachineLabels.Where(l => l.MachineId == machineId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        db.MachineLabels.AddRange(labels.Where(Indexable).Select(l => new MachineLabelEntity { MachineId = machineId, Key = l.Key, Value = l.Value }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
    }

    private static List<Microsoft.EntityFrameworkCore.ChangeTracking.EntityEntry<MachineEntity>> Changed(RingmasterDbContext db) =>
        [.. db.ChangeTracker.DetectedEntries<MachineEntity>().Where(e => e.State == EntityState.Added || (e.State == EntityState.Modified && e.Property(m => m.Labels).IsModified))];

    private static (List<Microsoft.EntityFrameworkCore.ChangeTracking.EntityEntry<MachineEntity>>, List<MachineLabelEntity>) Load(
        RingmasterDbContext db, List<Microsoft.EntityFrameworkCore.ChangeTracking.EntityEntry<MachineEntity>> changed)
    {
        var ids = changed.Where(m => m.State != EntityState.Added).Select(m => m.Entity.Id).ToList();
        return (changed, ids.Count == 0 ? [] : [.. db.MachineLabels.Where(l => ids.Contains(l.MachineId))]);
    }

    private static void Index(RingmasterDbContext db, (List<Microsoft.EntityFrameworkCore.ChangeTracking.EntityEntry<MachineEntity>> Changed, List<MachineLabelEntity> Existing) state)
    {
        var existing = state.Existing.ToLookup(r => r.MachineId);
        foreach (var entry in state.Changed)
        {
            var machine = entry.Entity;
            var wanted = machine.Labels.Where(Indexable).ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);
            foreach (var row in existing[machine.Id])
            {
                if (!wanted.TryGetValue(row.Key, out var value))
                {
                    db.MachineLabels.Remove(row);
                }
                else if (row.Value != value)
                {
                    row.Value = value;
                    db.Entry(row).Property(r => r.Value).IsModified = true;
                    wanted.Remove(row.Key);
                }
                else
                {
                    wanted.Remove(row.Key);
                }
            }

            db.MachineLabels.AddRange(wanted.Select(l => new MachineLabelEntity { MachineId = machine.Id, Key = l.Key, Value = l.Value }));
        }
    }
}
