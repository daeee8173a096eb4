using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Ringmaster.Core.Domain;

namespace Ringmaster.Core.Store;

/// <summary>
/// Bumps <see cref="MachineEntity.Version"/> whenever a saved machine's name, spec or labels changed,
/// whichever code changed them, so the API's ETag always moves with what a client can edit.
/// </summary>
public sealed class MachineVersionInterceptor : SaveChangesInterceptor
{
    public static MachineVersionInterceptor Instance { get; } = new();

    private static readonly string[] s_versioned = [nameof(MachineEntity.Name), nameof(MachineEntity.Spec), nameof(MachineEntity.Labels)];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Bump(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Bump(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private static void Bump(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        foreach (var entry in context.ChangeTracker.DetectedEntries<MachineEntity>())
        {
            if (entry.State == EntityState.Modified && s_versioned.Any(p => entry.Property(p).IsModified) && !entry.Property(m => m.Version).IsModified)
            {
                // Through the entry, which marks it modified now: the save does not detect changes again.
                entry.Property(m => m.Version).CurrentValue = entry.Entity.Version + 1;
            }
        }
    }
}
