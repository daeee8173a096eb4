using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Access;

namespace Ringmaster.Web.Services;

/// <summary>
/// The signed-in user of a dashboard circuit (one per circuit, from its authentication state): every
/// change the dashboard starts runs in this user's name, is refused below Operator, and is audited
/// once with the target's name, as the REST API audits its requests.
/// </summary>
public sealed class DashboardCaller(AuthenticationStateProvider? authentication = null, AuditLog? audit = null, IDbContextFactory<RingmasterDbContext>? dbFactory = null)
{
    /// <summary>Who operations name when no user is known (a circuit without authentication).</summary>
    public const string Unknown = "dashboard";

    /// <summary>What the audit log records as the address of dashboard actions (there is no request).</summary>
    public const string Origin = "dashboard";

    private readonly AuditTargets? _targets = dbFactory is null ? null : new AuditTargets(dbFactory);

    public async Task<ClaimsPrincipal?> PrincipalAsync() =>
        authentication is null ? null : (await authentication.GetAuthenticationStateAsync()).User;

    /// <summary>
    /// Runs <paramref name="work"/> in the user's name unless the user's role is below <paramref name="needs"/>
    /// (Operator unless said: viewers may only look), then audits it: <paramref name="action"/> on
    /// <paramref name="target"/> (a name, never a raw id), with its status and, when refused, why;
    /// <paramref name="detail"/> says more about a change that went through.
    /// </summary>
    public async Task<ServiceResult<T>> RunAsync<T>(string action, string target, Func<string, Task<ServiceResult<T>>> work, string? detail = null, AccessRole needs = AccessRole.Operator)
    {
        var principal = await PrincipalAsync();
        var name = principal?.Identity?.Name ?? Unknown;
        var refused = principal is not null && !principal.HasRole(needs);
        var result = refused
            ? ServiceResult<T>.Conflict(needs == AccessRole.Admin
                ? $"Your role ({principal!.RoleOf()?.ToString() ?? "none"}) may not do this; only admins may."
                : $"Your role ({principal!.RoleOf()?.ToString() ?? "none"}) may only look; this needs Operator or Admin.")
            : await work(name);
        if (audit is not null)
        {
            var status = result.Kind switch
            {
                ResultKind.Ok => 202,
                ResultKind.NotFound => 404,
                ResultKind.Invalid => 400,
                ResultKind.Unavailable => 503,
                ResultKind.Forbidden => 403,
                _ when refused => 403,
                _ => 409,
            };
            await audit.RecordAsync(name, action, target, Origin, status, result.Kind == ResultKind.Ok ? detail : Reason(result));
        }

        return result;
    }

    /// <summary>As <see cref="RunAsync{T}(string, string, Func{string, Task{ServiceResult{T}}}, string?)"/> for a change that answers yes or no (found or not).</summary>
    public async Task<bool> RunAsync(string action, string target, Func<Task<bool>> work)
    {
        var result = await RunAsync(action, target, async _ => await work() ? ServiceResult<bool>.Ok(true) : ServiceResult<bool>.NotFound("Not found."));
        return result.Kind == ResultKind.Ok;
    }

    private static string? Reason<T>(ServiceResult<T> result) =>
        result.Errors is { Count: > 0 } errors ? $"{result.Message} {string.Join(" ", errors.SelectMany(e => e.Value))}" : result.Message;

    public Task<string> MachineAsync(Guid id) => NameAsync("machines", id);

    public Task<string> HostAsync(Guid id) => NameAsync("hosts", id);

    public Task<string> ScheduleAsync(Guid id) => NameAsync("schedules", id);

    public Task<string> ScalingGroupAsync(Guid id) => NameAsync("scaling-groups", id);

    /// <summary>A backup by what it is a backup of and when: "backup of web-1 at 2025-01-02 03:04:05Z".</summary>
    public Task<string> BackupAsync(Guid id) => NameAsync("backups", id);

    /// <summary>The name of what <paramref name="id"/> points at; the id itself when it is gone or there is no store.</summary>
    private async Task<string> NameAsync(string collection, Guid id) =>
        (_targets is null ? null : await _targets.NameAsync(collection, id)) ?? id.ToString();
}
