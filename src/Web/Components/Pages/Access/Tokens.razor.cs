using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Web.Access;

namespace Ringmaster.Web.Components.Pages.Access;

/// <summary>The signed-in user's API tokens (an admin's: everyone's): create, see, revoke.</summary>
public partial class Tokens
{
    [Inject] public required ApiTokens Service { get; init; }
    [Inject] public required AuditLog Audit { get; init; }
    [Inject] public required TimeProvider Clock { get; init; }
    [CascadingParameter] public Task<AuthenticationState>? AuthenticationState { get; set; }

    private ClaimsPrincipal _user = new();
    private AccessRole _myRole = AccessRole.Viewer;
    private List<TokenView>? _tokens;
    private TokenCreated? _created;
    private string? _error;
    private string? _name;
    private AccessRole _role;
    private string? _project;
    private int _days = 90;
    private bool _busy;

    protected override async Task OnInitializedAsync()
    {
        _user = AuthenticationState is null ? new ClaimsPrincipal() : (await AuthenticationState).User;
        _myRole = _user.RoleOf() ?? AccessRole.Viewer;
        _role = _myRole;
        await LoadAsync();
    }

    private async Task LoadAsync() => _tokens = [.. await Service.ListAsync(_user, CancellationToken.None)];

    private async Task CreateAsync()
    {
        _busy = true;
        _created = null;
        _error = null;
        try
        {
            var request = new CreateTokenRequest(_name, _role, string.IsNullOrWhiteSpace(_project) ? null : _project.Trim(), Clock.GetUtcNow().AddDays(_days));
            var (created, refused) = await Service.CreateAsync(_user, request, CancellationToken.None);
            await Audit.RecordAsync(_user.Identity?.Name ?? "unknown", "token.create", $"token {_name}", "dashboard", created is null ? 400 : 201);
            if (created is null)
            {
                _error = string.Join(" ", refused!.Errors!.Values.SelectMany(v => v));
                return;
            }

            _created = created;
            _name = null;
            await LoadAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task RevokeAsync(TokenView token)
    {
        var done = await Service.RevokeAsync(_user, token.Id, CancellationToken.None);
        await Audit.RecordAsync(_user.Identity?.Name ?? "unknown", "token.revoke", $"token {token.Name} ({token.Id})", "dashboard", done ? 204 : 404);
        await LoadAsync();
    }

    private string Status(TokenView token) =>
        token.RevokedAt is not null ? "revoked" : token.ExpiresAt <= Clock.GetUtcNow() ? "expired" : "active";
}
