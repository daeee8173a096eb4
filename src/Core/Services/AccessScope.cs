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
