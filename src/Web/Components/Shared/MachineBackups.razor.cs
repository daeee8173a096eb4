using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Contracts;
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
    private FollowedOperation? _pending;
    private FollowedOperation? _made;

    private string? _seen;

    [Parameter, EditorRequired] public required MachineView Machine { get; set; }

    /// <summary>The machine's recent operations, kept live by the page.</summary>
    [Parameter] public IReadOnlyList<OperationView> Operations { get; set; } = [];

    /// <summary>Told of every operation the tab starts, so the page keeps it live for the tab.</summary>
    [Parameter] public EventCallback<OperationView> Started { get; set; }
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
        if (_pending?.Outcome(Operations) is { } outcome)
        {
            _made = _pending;
            _pending = null;
            Say(outcome.Text, outcome.Severity);
        }

        var finished = Operations.Where(op => op.State is OperationStatus.Succeeded or OperationStatus.Failed && op.Kind.IsBackupWork()).ToList();
        var key = string.Join(",", finished.Select(op => $"{op.Id}:{op.State}"));
        if (key == _seen)
        {
            return;
        }

        var failed = _seen is not null ? finished.FirstOrDefault(op => op.State == OperationStatus.Failed && op.Id != _made?.Id && !_seen.Contains(op.Id.ToString(), StringComparison.Ordinal)) : null;
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
        await StartedAsync(await States.BackupAsync(Machine.Id, new BackupMachineRequest(_includeMemory, _full)),
            $"Backing {Machine.Name} up…", "Could not back up", $"{Machine.Name} is backed up.", $"Backing {Machine.Name} up failed");
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

        var name = asNew ? _restoreName : null;
        var result = await States.RestoreAsync(backup.Id, new RestoreBackupRequest(Name: name));
        await (asNew
            ? StartedAsync(result, $"Restoring as {name}…", "Could not restore", $"Restored the backup of {backup.CreatedAt.UtcDateTime:u} as {name}.", $"Restoring as {name} failed", makesMachine: true)
            : StartedAsync(result, $"Restoring {Machine.Name}…", "Could not restore", $"{Machine.Name} is restored to its backup of {backup.CreatedAt.UtcDateTime:u}.", $"Restoring {Machine.Name} failed"));
    }

    private async Task VerifyAsync(BackupView backup)
    {
        var boot = _testBoot ? " with a test boot" : "";
        await StartedAsync(await States.VerifyAsync(backup.Id, new VerifyBackupRequest(_testBoot)), $"Verifying the backup of {backup.CreatedAt.UtcDateTime:u}{boot}…", "Could not verify",
            $"The backup of {backup.CreatedAt.UtcDateTime:u} verified{boot}.", $"Verifying the backup of {backup.CreatedAt.UtcDateTime:u} failed");
    }

    private void Say(string message, Severity severity)
    {
        _message = message;
        _severity = severity;
    }

    /// <summary>Says an operation started (or why it did not) and follows it until it ends.</summary>
    private async Task StartedAsync(ServiceResult<OperationAccepted> result, string starting, string refused, string success, string failure, bool makesMachine = false)
    {
        if (result.Kind != ResultKind.Ok)
        {
            Say($"{refused}: {Display.Problem(result)}", Severity.Error);
            return;
        }

        var operation = result.Value!.Operation;
        var made = makesMachine ? result.Value.Machine : null;
        _pending = new FollowedOperation(operation.Id, success, failure, made?.Id, made?.Name);
        _made = null;
        Say(starting, Severity.Info);
        await Started.InvokeAsync(operation);
    }
}
