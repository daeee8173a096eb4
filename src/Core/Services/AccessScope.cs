using Ringmaster.Contracts;
namespace Ringmaster.Core.Services;

/// <summary>
/// Which projects the caller of the current request may see. The store filters machines (and their
/// operations and events) by it, so a machine of another project is simply not found.
/// </summary>
public interface IAccessScope
{
    /// <summary>The projects the caller sees; null when nothing is restricted (admins, agents, background work).</summary>
    IReadOnlyCollection<string>? Projects { get; }

    /// <summary>The caller's name, as operations record it.</summary>
    string? User { get; }

    /// <summary>Where the caller's new machines go when the request names no project.</summary>
    string? DefaultProject { get; }
}

/// <summary>No restriction: used where there is no caller (tools, tests of the core).</summary>
public sealed class UnrestrictedScope : IAccessScope
{
    public static UnrestrictedScope Instance { get; } = new();

    public IReadOnlyCollection<string>? Projects => null;
    public string? User => null;
    public string? DefaultProject => null;
}

/// <summary>The scope of one project's work: an operation on that project's objects, run for <see cref="User"/>.</summary>
public sealed class ProjectScope(string project, string user) : IAccessScope
{
    public IReadOnlyCollection<string>? Projects { get; } = [project];
    public string? User => user;
    public string? DefaultProject => project;
}

/// <summary>
/// The scope of work that must see every project (the scaling controller, schedules, reconciliation,
/// work across projects such as an evacuation), named for what it is.
/// </summary>
public sealed class SystemScope(string purpose) : IAccessScope
{
    public string Purpose => purpose;
    public IReadOnlyCollection<string>? Projects => null;
    public string? User => purpose;
    public string? DefaultProject => null;
}

/// <summary>
/// The scope background work runs under, set explicitly where the work starts: an operation's work
/// runs with its project's scope (<see cref="OperationService"/>), a background service with a named
/// <see cref="SystemScope"/>. It takes precedence over the caller of a request or circuit that may
/// still be current, so work never depends on which caller happened to start it.
/// </summary>
public static class WorkScope
{
    private static readonly AsyncLocal<IAccessScope?> s_current = new();

    /// <summary>The work's scope, or null outside work (a request or circuit then decides).</summary>
    public static IAccessScope? Current => s_current.Value;

    /// <summary>Runs the rest of the calling async method (and what it starts) under <paramref name="scope"/>.</summary>
    public static void Enter(IAccessScope scope) => s_current.Value = scope;

    /// <summary>For an operation: its project's scope, or every project's for work across them.</summary>
    public static IAccessScope For(Domain.OperationEntity operation) =>
        operation.Project is { } project ? new ProjectScope(project, operation.User) : new SystemScope($"{operation.Kind.Name()} by {operation.User}");
}
