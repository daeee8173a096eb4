using Microsoft.EntityFrameworkCore;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>Which project a new object goes to: the one asked for, else the caller's default; it must exist and be one the caller sees.</summary>
public static class ProjectNames
{
    public const string Refusal = "Unknown project, or not one of yours.";

    /// <summary>The project, or null when it does not exist or the caller may not use it.</summary>
    public static async Task<string?> ResolveAsync(RingmasterDbContext db, IAccessScope scope, string? requested, CancellationToken cancellationToken)
    {
        var project = string.IsNullOrWhiteSpace(requested) ? scope.DefaultProject ?? ProjectEntity.Default : requested;
        if (project.Length > 63 || (scope.Projects is { } visible && !visible.Contains(project))
            || !await db.Projects.AnyAsync(p => p.Name == project, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return project;
    }
}
