using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages.Access;

/// <summary>Admins: projects with their members and what they use of their quotas — create, delete (once empty).</summary>
public partial class Projects
{
    [Inject] public required AccessAdmin Admin { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }

    private List<ProjectView>? _projects;
    private string? _name;
    private string? _description;
    private bool _busy;
    private string? _message;
    private Severity _severity = Severity.Info;

    protected override async Task OnInitializedAsync()
    {
        if (await Admin.IsAdminAsync())
        {
            await LoadAsync();
        }
    }

    private async Task LoadAsync()
    {
        try
        {
            _projects = [.. await Admin.ProjectsAsync()];
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _projects ??= [];
            Say("Could not read the projects: " + ex.Message, Severity.Error);
        }
    }

    /// <summary>What a project uses of each quota: "2 of 8 vCPUs · 512 MiB memory (no quota) · …".</summary>
    internal static string Usage(ProjectView project) => string.Join(" · ", QuotaLine.Of(project).Select(l => l.Limit is { } limit
        ? $"{l.InUse}{l.Unit} of {limit}{l.Unit} {l.What}"
        : $"{l.InUse}{l.Unit} {l.What}"));

    private async Task CreateAsync()
    {
        _busy = true;
        _message = null;
        try
        {
            var name = _name?.Trim();
            var result = await Admin.CreateProjectAsync(new CreateProjectRequest(name, string.IsNullOrWhiteSpace(_description) ? null : _description.Trim()));
            if (result.Kind != ResultKind.Ok)
            {
                Say(Users.Reason(result), Severity.Error);
                return;
            }

            Say($"Project {result.Value!.Name} created, without quotas; add members and set quotas on its page.", Severity.Success);
            _name = null;
            _description = null;
            await LoadAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task DeleteAsync(ProjectView project)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Delete project {project.Name}?",
            $"The project {project.Name} and its quotas are deleted, and its {project.Members.Count} member(s) leave it. A project that still has machines, backups, schedules or scaling groups is refused. This cannot be undone.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var result = await Admin.DeleteProjectAsync(project.Name);
        Say(result.Kind == ResultKind.Ok ? $"Project {project.Name} deleted." : Users.Reason(result), result.Kind == ResultKind.Ok ? Severity.Success : Severity.Error);
        await LoadAsync();
    }

    private void Say(string message, Severity severity)
    {
        _message = message;
        _severity = severity;
    }
}
