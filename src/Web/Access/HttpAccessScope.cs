using Ringmaster.Core.Services;

namespace Ringmaster.Web.Access;

/// <summary>The access scope of the request being served (none outside a request: agents and background work see all).</summary>
public sealed class HttpAccessScope(IHttpContextAccessor accessor) : IAccessScope
{
    public IReadOnlyCollection<string>? Projects => accessor.HttpContext?.User.ProjectsOf();

    public string? User => accessor.HttpContext?.User.Identity?.Name;

    public string? DefaultProject => accessor.HttpContext?.User.ProjectsOf() switch
    {
        null => null,
        var projects when projects.Contains(Core.Domain.ProjectEntity.Default) => Core.Domain.ProjectEntity.Default,
        var projects => projects.FirstOrDefault(),
    };
}
