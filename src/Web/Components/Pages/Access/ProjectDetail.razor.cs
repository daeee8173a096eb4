using System.Globalization;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages.Access;

/// <summary>Admins: one project's quotas (what is used against each limit, and the limits edited) and its members.</summary>
public partial class ProjectDetail
{
    [Parameter] public string Name { get; set; } = "";

    [Inject] public required AccessAdmin Admin { get; init; }

    /// <summary>What a quota field accepts, said where a value is refused.</summary>
    public const string QuotaRule = "A quota is a whole number of 0 or more; leave it empty for no quota.";

    private ProjectView? _project;
    private List<string> _users = [];
    private readonly Dictionary<string, string?> _limits = [];
    private List<BreadcrumbItem> _crumbs = [];
    private bool _loading = true;
    private bool _saving;
    private string? _newMember;
    private string? _quotaError;
    private string? _message;
    private Severity _severity = Severity.Info;

    protected override async Task OnParametersSetAsync()
    {
        _crumbs = [new("Projects", "/projects"), new(Name, null, disabled: true)];
        _message = null;
        if (await Admin.IsAdminAsync())
        {
            await LoadAsync();
        }

        _loading = false;
    }

    private async Task LoadAsync()
    {
        try
        {
            _project = await Admin.ProjectAsync(Name);
            _users = [.. (await Admin.UsersAsync()).Select(u => u.UserName)];
            if (_project is not null)
            {
                foreach (var line in QuotaLine.Of(_project))
                {
                    _limits[line.Key] = line.Limit?.ToString(CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Say("Could not read the project: " + ex.Message, Severity.Error);
        }
    }

    /// <summary>Null for an empty field (no quota) or a whole number of 0 or more; otherwise why the value is refused.</summary>
    public static string? QuotaProblem(string? text) => Parse(text).Problem;

    private static (int? Value, string? Problem) Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, null);
        }

        return int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? (value, null)
            : (null, QuotaRule);
    }

    /// <summary>The users the Add list offers: those not yet members.</summary>
    private IEnumerable<string> NotMembers => _users.Where(u => _project?.Members.Contains(u) != true);

    private bool Valid => _limits.Values.All(v => QuotaProblem(v) is null);

    private bool CanSave => !_saving && _project is not null && Valid;

    private static string Title(QuotaLine line) => char.ToUpperInvariant(line.What[0]) + line.What[1..];

    private static string UsageText(QuotaLine line) => line.Limit is { } limit
        ? $"{line.InUse}{line.Unit} of {limit}{line.Unit}"
        : $"{line.InUse}{line.Unit}, no quota";

    private static double Percent(QuotaLine line) => line.Limit switch
    {
        null => 0,
        0 => line.InUse > 0 ? 100 : 0,
        { } limit => line.InUse * 100.0 / limit,
    };

    private async Task SaveQuotasAsync()
    {
        _quotaError = null;
        if (_project is null)
        {
            return;
        }

        if (!Valid)
        {
            // Nothing is sent while a field holds a value that is not a quota.
            _quotaError = QuotaRule;
            return;
        }

        int? Limit(string key) => Parse(_limits.GetValueOrDefault(key)).Value;
        var quotas = new ProjectQuotasView(Limit("vcpus"), Limit("memoryMiB"), Limit("diskGiB"), Limit("networks"), Limit("machines"));
        _saving = true;
        try
        {
            var result = await Admin.SetQuotasAsync(_project.Name, quotas);
            if (result.Kind != ResultKind.Ok)
            {
                _quotaError = Users.Reason(result);
                return;
            }

            Say($"Quotas of {_project.Name} saved.", Severity.Success);
            await LoadAsync();
        }
        finally
        {
            _saving = false;
        }
    }

    private async Task AddMemberAsync()
    {
        if (_project is null || string.IsNullOrEmpty(_newMember))
        {
            return;
        }

        var user = _newMember;
        var result = await Admin.AddMemberAsync(_project.Name, user);
        Say(result.Kind == ResultKind.Ok ? $"{user} is now a member of {_project.Name}." : Users.Reason(result), result.Kind == ResultKind.Ok ? Severity.Success : Severity.Error);
        _newMember = null;
        await LoadAsync();
    }

    private async Task RemoveMemberAsync(string user)
    {
        if (_project is null)
        {
            return;
        }

        var result = await Admin.RemoveMemberAsync(_project.Name, user);
        Say(result.Kind == ResultKind.Ok ? $"{user} is no longer a member of {_project.Name}." : Users.Reason(result), result.Kind == ResultKind.Ok ? Severity.Success : Severity.Error);
        await LoadAsync();
    }

    private void Say(string message, Severity severity)
    {
        _message = message;
        _severity = severity;
    }
}
