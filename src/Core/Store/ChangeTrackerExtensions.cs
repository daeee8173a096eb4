using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Ringmaster.Core.Store;

internal static class ChangeTrackerExtensions
{
    /// <summary>
    /// The tracked entries of <typeparamref name="T"/> as the last DetectChanges left them. Inside a save of
    /// <see cref="RingmasterDbContext"/> that is the one the save began with (automatic detection is off
    /// meanwhile); elsewhere changes are detected once here, where <see cref="ChangeTracker.Entries{TEntity}"/>
    /// alone would detect them again on every call.
    /// </summary>
    public static List<EntityEntry<T>> DetectedEntries<T>(this ChangeTracker tracker)
        where T : class
    {
        if (!tracker.AutoDetectChangesEnabled)
        {
            return [.. tracker.Entries<T>()];
        }

        tracker.DetectChanges();
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            return [.. tracker.Entries<T>()];
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = true;
        }
    }
}
