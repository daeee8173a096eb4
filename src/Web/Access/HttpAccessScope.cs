using Ringmaster.Core.Services;

namespace Ringmaster.Web.Access;

/// <summary>
/// The access scope of the work running now (<see cref="WorkScope"/>: an operation's project, a named
/// background service), else of the dashboard circuit or the request being served (none outside all
/// three: agents see all).
/// </summary>
public sealed class HttpAccessScope(IHttpContextAccessor accessor) : IAccessScope
{
    private System.Security.Claims.ClaimsPrincipal? Caller => CircuitAccess.Current ?? accessor.HttpContext?.User;

    public IReadOnlyCollection<string>? Projects => WorkScope.Current is { } work ? work.Projects : Caller?.ProjectsOf();

    public string? User => WorkScope.Current is { } work ? work.User : Caller?.Identity?.Name;

    public string? DefaultProject => WorkScope.Current is { } work ? work.DefaultProject : Caller?.ProjectsOf() switch
    {
        null => null,
        var projects when projects.Contains(Core.Domain.ProjectEntity.Default) => Core.Domain.ProjectEntity.Default,
        var projects => projects.FirstOrDefault(),
    };
}
