using Ringmaster.Core.Services;

namespace Ringmaster.Web.Access;

/// <summary>
/// The access scope of the dashboard circuit or the request being served (none outside both: agents
/// and background work see all).
/// </summary>
public sealed class HttpAccessScope(IHttpContextAccessor accessor) : IAccessScope
{
    private System.Security.Claims.ClaimsPrincipal? Caller => CircuitAccess.Current ?? accessor.HttpContext?.User;

    public IReadOnlyCollection<string>? Projects => Caller?.ProjectsOf();

    public string? User => Caller?.Identity?.Name;

    public string? DefaultProject => Caller?.ProjectsOf() switch
    {
        null => null,
        var projects when projects.Contains(Core.Domain.ProjectEntity.Default) => Core.Domain.ProjectEntity.Default,
        var projects => projects.FirstOrDefault(),
    };
}
