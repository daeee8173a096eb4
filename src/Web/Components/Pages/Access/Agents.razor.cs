using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Shared;
using Ringmaster.Web.Access;
using Ringmaster.Web.Agents;

namespace Ringmaster.Web.Components.Pages.Access;

/// <summary>Admins: join tokens for new hosts, and the agents' own credentials.</summary>
public partial class Agents
{
    [Inject] public required AgentCredentials Credentials { get; init; }
    [Inject] public required IAgentGateway Gateway { get; init; }
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

        _joinTokens = await Credentials.ListJoinTokensAsync(CancellationToken.None);
        _agents = await Credentials.ListAgentsAsync(Gateway, CancellationToken.None);
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
