using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Web.Access;
using Ringmaster.Web.Apis;

namespace Ringmaster.Web.Components.Pages.Access;

/// <summary>The audit log for admins, newest first, 50 to a page.</summary>
public partial class Audit
{
    private const int PageSize = 50;

    [Inject] public required IDbContextFactory<RingmasterDbContext> DbFactory { get; init; }
    [CascadingParameter] public Task<AuthenticationState>? AuthenticationState { get; set; }

    private ClaimsPrincipal _principal = new();
    private List<AuditView>? _entries;
    private string? _user;
    private long? _before;
    private long? _next;
    private readonly Stack<long?> _pages = new();

    protected override async Task OnInitializedAsync()
    {
        _principal = AuthenticationState is null ? new ClaimsPrincipal() : (await AuthenticationState).User;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        if (!_principal.HasRole(AccessRole.Admin))
        {
            return;
        }

        await using var db = await DbFactory.CreateDbContextAsync();
        var query = db.Audit.AsNoTracking();
        if (_before is { } before)
        {
            query = query.Where(a => a.Id < before);
        }

        if (!string.IsNullOrWhiteSpace(_user))
        {
            query = query.Where(a => a.User == _user);
        }

        var rows = await query.OrderByDescending(a => a.Id).Take(PageSize + 1).ToListAsync();
        _entries = [.. rows.Take(PageSize).Select(AuditApi.ToView)];
        _next = rows.Count > PageSize ? _entries[^1].Id : null;
    }

    private async Task OnUserChanged(string? user)
    {
        _user = user;
        _before = null;
        _pages.Clear();
        await LoadAsync();
    }

    private async Task OlderAsync()
    {
        _pages.Push(_before);
        _before = _next;
        await LoadAsync();
    }

    private async Task NewerAsync()
    {
        _before = _pages.Count > 0 ? _pages.Pop() : null;
        await LoadAsync();
    }
}
