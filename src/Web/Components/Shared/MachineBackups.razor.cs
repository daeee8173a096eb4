using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Core.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Shared;

/// <summary>The machine page's Backups tab: the machine's backups, back up now, restore (replacing it or as a new machine), verify.</summary>
public partial class MachineBackups
{
    private IReadOnlyList<BackupView> _backups = [];
    private bool _includeMemory;
    private bool _full;
    private bool _testBoot;
    private string? _restoreName;
    private string? _message;
    private Severity _severity = Severity.Info;

    private string? _seen;

    [Parameter, EditorRequired] public required MachineView Machine { get; set; }

    /// <summary>The machine's recent operations, kept live by the page.</summary>
    [Parameter] public IReadOnlyList<OperationView> Operations { get; set; } = [];
    [Inject] public required IMachineSavedStates States { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }

    private async Task LoadAsync(CancellationToken cancellationToken) =>
        _backups = await States.BackupsAsync(Machine.Id, cancellationToken);

    /// <summary>
    /// Reloads when an operation of this tab's kinds on the machine ends (the page passes the
    /// machine's operations, which it keeps live), and the first time.
    /// </summary>
    protected override async Task OnParametersSetAsync()
    {
        var finished = Operations.Where(op => op.State is OperationStatus.Succeeded or OperationStatus.Failed && op.Kind.IsBackupWork()).ToList();
        var key = string.Join(",", finished.Select(op => $"{op.Id}:{op.State}"));
        if (key == _seen)
        {
            return;
        }

        var failed = _seen is not null ? finished.FirstOrDefault(op => op.State == OperationStatus.Failed && !_seen.Contains(op.Id.ToString(), StringComparison.Ordinal)) : null;
        _seen = key;
        if (failed is not null)
        {
            Say($"{Display.Action(failed.Kind)} failed: {failed.Error}", Severity.Error);
        }

        try
        {
            await LoadAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            Say("Could not read them: " + ex.Message, Severity.Error);
        }
    }

    private async Task BackUpAsync()
    {
        var result = await States.BackupAsync(Machine.Id, new BackupMachineRequest(_includeMemory, _full));
        Say(result.Kind == ResultKind.Ok ? $"Backing {Machine.Name} up…" : "Could not back up: " + Display.Problem(result), result.Kind == ResultKind.Ok ? Severity.Info : Severity.Error);
    }

    private async Task RestoreAsync(BackupView backup)
    {
        var asNew = !string.IsNullOrWhiteSpace(_restoreName);
        if (!asNew)
        {
            var confirmed = await Dialogs.ShowMessageBoxAsync(
                $"Replace {Machine.Name}?",
                $"{Machine.Name} is replaced by its backup of {backup.CreatedAt.UtcDateTime:u}; what changed since is lost. To keep it, give a new name to restore as.",
                yesText: "Replace", cancelText: "Cancel");
            if (confirmed != true)
            {
                return;
            }
        }

        var result = await States.RestoreAsync(backup.Id, new RestoreBackupRequest(Name: asNew ? _restoreName : null));
        Say(result.Kind == ResultKind.Ok ? (asNew ? $"Restoring as {_restoreName}…" : $"Restoring {Machine.Name}…") : "Could not restore: " + Display.Problem(result),
            result.Kind == ResultKind.Ok ? Severity.Info : Severity.Error);
    }

    private async Task VerifyAsync(BackupView backup)
    {
        var result = await States.VerifyAsync(backup.Id, new VerifyBackupRequest(_testBoot));
        Say(result.Kind == ResultKind.Ok ? "Verifying the backup…" : "Could not verify: " + Display.Problem(result), result.Kind == ResultKind.Ok ? Severity.Info : Severity.Error);
    }

    private void Say(string message, Severity severity)
    {
        _message = message;
        _severity = severity;
    }
}
