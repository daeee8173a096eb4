using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages.Access;

/// <summary>Admins: users, their roles and projects — create, change the role, disable or enable, delete (as the API allows).</summary>
public partial class Users
{
    [Inject] public required AccessAdmin Admin { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }

    private List<UserView>? _users;
    private string? _userName;
    private string? _password;
    private AccessRole _role = AccessRole.Viewer;
    private string? _projects;
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
            _users = [.. await Admin.UsersAsync()];
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _users ??= [];
            Say("Could not read the users: " + ex.Message, Severity.Error);
        }
    }

    private async Task CreateAsync()
    {
        _busy = true;
        _message = null;
        try
        {
            var projects = (_projects ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var name = _userName?.Trim();
            var result = await Admin.CreateUserAsync(new CreateUserRequest(name, _password, _role, projects.Length == 0 ? null : projects));
            if (result.Kind != ResultKind.Ok)
            {
                Say(Reason(result), Severity.Error);
                return;
            }

            Say($"User {result.Value!.UserName} created as {result.Value.Role} in {string.Join(", ", result.Value.Projects)}.", Severity.Success);
            _userName = null;
            _password = null;
            _projects = null;
            await LoadAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task SetRoleAsync(UserView user, AccessRole role)
    {
        if (role == user.Role)
        {
            return;
        }

        var result = await Admin.SetRoleAsync(user.UserName, role);
        Say(result.Kind == ResultKind.Ok ? $"{user.UserName} is now {role}." : Reason(result), result.Kind == ResultKind.Ok ? Severity.Success : Severity.Error);
        await LoadAsync();
    }

    private async Task DisableAsync(UserView user)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Disable user {user.UserName}?",
            $"{user.UserName} can no longer sign in, and its API tokens and dashboard cookie are refused from their next request. Enable it again to let it back in.",
            yesText: "Disable", cancelText: "Cancel");
        if (confirmed == true)
        {
            await SetDisabledAsync(user, true);
        }
    }

    private Task EnableAsync(UserView user) => SetDisabledAsync(user, false);

    private async Task SetDisabledAsync(UserView user, bool disabled)
    {
        var result = await Admin.SetDisabledAsync(user.UserName, disabled);
        Say(result.Kind == ResultKind.Ok ? $"User {user.UserName} {(disabled ? "disabled" : "enabled")}." : Reason(result), result.Kind == ResultKind.Ok ? Severity.Success : Severity.Error);
        await LoadAsync();
    }

    private async Task DeleteAsync(UserView user)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Delete user {user.UserName}?",
            $"{user.UserName} can no longer sign in; its API tokens and project memberships are deleted with it. Its machines stay in their projects. This cannot be undone.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var result = await Admin.DeleteUserAsync(user.UserName);
        Say(result.Kind == ResultKind.Ok ? $"User {user.UserName} deleted." : Reason(result), result.Kind == ResultKind.Ok ? Severity.Success : Severity.Error);
        await LoadAsync();
    }

    private void Say(string message, Severity severity)
    {
        _message = message;
        _severity = severity;
    }

    /// <summary>Why a change was refused, in the service's words (each field's message when it names fields).</summary>
    internal static string Reason<T>(ServiceResult<T> result) =>
        result.Errors is { Count: > 0 } errors ? string.Join(" ", errors.SelectMany(e => e.Value)) : result.Message ?? "The change was refused.";
}
