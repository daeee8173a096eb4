using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Shared;
using Ringmaster.Web.Access;
using Ringmaster.Web.Agents;

namespace Ringmaster.Web.Components.Pages.Access;

/// <summary>Admins: join tokens for new hosts, and the agents' own credentials.</summary>
public partial class Agents
{
    [Inject] public required AgentCredentials Credentials { get; init; }
    [Inject] public required IAgentGateway Gateway { get; init; }
    [Inject] public required IDbContextFactory<RingmasterDbContext> DbFactory { get; init; }
    [Inject] public required AuditLog Audit { get; init; }
    [Inject] public required TimeProvider Clock { get; init; }
    [CascadingParameter] public Task<AuthenticationState>? AuthenticationState { get; set; }

    private ClaimsPrincipal _user = new();
    private List<JoinTokenView> _joinTokens = [];
    private List<AgentCredentialView> _agents = [];
    private string? _joinName;
    private int _joinDays = 7;
    private string? _joinSecret;
    private string? _error;

    private bool IsAdmin => _user.HasRole(AccessRole.Admin);
    private string Who => _user.Identity?.Name ?? "unknown";

    protected override async Task OnInitializedAsync()
    {
        _user = AuthenticationState is null ? new ClaimsPrincipal() : (await AuthenticationState).User;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        if (!IsAdmin)
        {
            return;
        }

        await using var db = await DbFactory.CreateDbContextAsync();
        _joinTokens = [.. (await db.JoinTokens.AsNoTracking().OrderByDescending(t => t.CreatedAt).ToListAsync())
            .Select(t => new JoinTokenView(t.Id, t.Name, t.CreatedBy, Views.Utc(t.CreatedAt), Views.Utc(t.ExpiresAt), Views.Utc(t.RevokedAt)))];
        var hosts = await db.Hosts.AsNoTracking().ToDictionaryAsync(h => h.Id, h => h.Name);
        _agents = [.. (await db.AgentCredentials.AsNoTracking().OrderBy(c => c.CreatedAt).ToListAsync())
            .Select(c => new AgentCredentialView(c.HostId, hosts.GetValueOrDefault(c.HostId), Views.Utc(c.CreatedAt), Views.Utc(c.RevokedAt), Gateway.IsConnected(c.HostId)))];
    }

    private async Task CreateJoinTokenAsync()
    {
        _joinSecret = null;
        _error = null;
        if (!IsAdmin)
        {
            return;
        }

        if (InputText.CheckName(_joinName, 128, "A join token's name") is { } nameError)
        {
            _error = nameError;
            return;
        }

        var (token, secret) = await Credentials.CreateJoinTokenAsync(_joinName!.Trim(), Clock.GetUtcNow().AddDays(_joinDays), Who, CancellationToken.None);
        await Audit.RecordAsync(Who, "join-token.create", $"join token {token.Name}", "dashboard", 201);
        _joinSecret = secret;
        _joinName = null;
        await LoadAsync();
    }

    private async Task RevokeJoinTokenAsync(JoinTokenView token)
    {
        if (IsAdmin)
        {
            var done = await Credentials.RevokeJoinTokenAsync(token.Id, CancellationToken.None);
            await Audit.RecordAsync(Who, "join-token.revoke", $"join token {token.Name}", "dashboard", done ? 204 : 404);
            await LoadAsync();
        }
    }

    private async Task RevokeAgentAsync(AgentCredentialView agent)
    {
        if (IsAdmin)
        {
            var done = await Credentials.RevokeAsync(agent.HostId, CancellationToken.None);
            await Audit.RecordAsync(Who, "agent.revoke", $"host {agent.Host ?? agent.HostId.ToString()}", "dashboard", done ? 204 : 404);
            await LoadAsync();
        }
    }
}
