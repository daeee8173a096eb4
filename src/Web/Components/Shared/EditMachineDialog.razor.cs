using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Shared;

/// <summary>
/// Edits a machine's name, labels, vCPUs, memory and disk size (the PATCH the API has), says before
/// the click which changes apply at once and which at the next start, and sends only what changed,
/// under the version the form was filled from.
/// </summary>
public partial class EditMachineDialog
{
    private string? _name;
    private string? _labels;
    private int _vcpus;
    private int _memory;
    private int _disk;
    private bool _saving;
    private string? _error;

    [CascadingParameter] public required IMudDialogInstance Dialog { get; set; }
    [Parameter, EditorRequired] public MachineView Machine { get; set; } = null!;
    [Inject] public required IMachineActions Actions { get; init; }

    protected override void OnInitialized()
    {
        _name = Machine.Name;
        _labels = FormatLabels(Machine.Labels);
        _vcpus = Machine.Spec.Vcpus;
        _memory = Machine.Spec.MemoryMiB;
        _disk = Machine.Spec.DiskGiB;
    }

    /// <summary>Labels as the field shows them: "env=dev, team=web", by key.</summary>
    public static string FormatLabels(IReadOnlyDictionary<string, string> labels) =>
        string.Join(", ", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    /// <summary>The labels typed, or why they cannot be read.</summary>
    public static (Dictionary<string, string>? Labels, string? Problem) ParseLabels(string? text)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return (null, $"The label '{pair}' needs the form key=value.");
            }

            var key = pair[..eq].Trim();
            var value = pair[(eq + 1)..].Trim();
            if (!LabelKeys.IsValid(key))
            {
                return (null, $"The label key '{key}' must be 1–63 characters of letters, digits, '-', '_', '.' and '/'.");
            }

            if (!LabelKeys.IsValidValue(value))
            {
                return (null, LabelKeys.ValueRule + ".");
            }

            if (!labels.TryAdd(key, value))
            {
                return (null, $"The label '{key}' is given twice.");
            }
        }

        return labels.Count > MachineService.MaxLabels ? (null, $"At most {MachineService.MaxLabels} labels.") : (labels, null);
    }

    private static string? NameProblem(string? name) => MachineNames.IsValid(name) ? null : $"The name must be {MachineNames.Rule}.";

    private string? DiskProblem(int disk) =>
        LaunchLimits.Disk(disk) ?? (disk < Machine.Spec.DiskGiB ? $"A disk can grow but not shrink; it is {Machine.Spec.DiskGiB} GiB." : null);

    private static string? LabelsProblem(string? text) => ParseLabels(text).Problem;

    private bool NameChanged => _name != Machine.Name;

    private bool LabelsChanged => ParseLabels(_labels).Labels is { } labels
        && (labels.Count != Machine.Labels.Count || labels.Any(l => !Machine.Labels.TryGetValue(l.Key, out var v) || v != l.Value));

    private bool LimitsChanged => _vcpus != Machine.Spec.Vcpus || _memory != Machine.Spec.MemoryMiB;

    private bool DiskChanged => _disk != Machine.Spec.DiskGiB;

    private bool Running => Machine.State is MachineState.Running or MachineState.Paused;

    private bool Valid => NameProblem(_name) is null && LaunchLimits.Vcpus(_vcpus) is null && LaunchLimits.Memory(_memory, Machine.Kind) is null
        && DiskProblem(_disk) is null && LabelsProblem(_labels) is null;

    private bool Changed => NameChanged || LabelsChanged || LimitsChanged || DiskChanged;

    private bool CanSave => !_saving && Valid && Changed && Blocked() is null;

    /// <summary>A change the machine's state does not allow now, said before the click.</summary>
    private string? Blocked() =>
        Machine.Kind == MachineKind.Vm && DiskChanged && Running ? $"Stop {Machine.Name} to grow its disk: a VM's disk grows while it is stopped." : null;

    /// <summary>When each change takes effect, as the server applies it.</summary>
    private List<string> Applies()
    {
        var notes = new List<string>();
        if (!Valid)
        {
            return notes;
        }

        if (NameChanged || LabelsChanged)
        {
            notes.Add(NameChanged && LabelsChanged ? "The name and labels change at once." : NameChanged ? "The name changes at once." : "The labels change at once.");
        }

        if (LimitsChanged)
        {
            notes.Add(Machine.Kind == MachineKind.Container
                ? Running ? "The new vCPU and memory limits apply to the running container at once." : "The new vCPU and memory limits apply at once."
                : Running ? MachineUpdateService.VmNextStartDetail : "The new vCPUs and memory apply when the VM next starts.");
        }

        if (DiskChanged)
        {
            notes.Add($"The disk grows from {Machine.Spec.DiskGiB} to {_disk} GiB.");
        }

        return notes;
    }

    private async Task SaveAsync()
    {
        if (!CanSave)
        {
            return;
        }

        var labels = ParseLabels(_labels).Labels!;
        var labelsChanged = LabelsChanged;
        var patch = new MachinePatch(
            NameChanged ? _name : null,
            labelsChanged,
            labelsChanged ? labels.ToDictionary(l => l.Key, l => (string?)l.Value) : null,
            _vcpus != Machine.Spec.Vcpus ? _vcpus : null,
            _memory != Machine.Spec.MemoryMiB ? _memory : null,
            DiskChanged ? _disk : null);
        _saving = true;
        _error = null;
        try
        {
            var result = await Actions.UpdateAsync(Machine.Id, Machine.Version, patch);
            if (result.Kind == ResultKind.Ok)
            {
                Dialog.Close(DialogResult.Ok(result.Value!));
                return;
            }

            _error = result.Errors is { Count: > 0 } errors ? string.Join(" ", errors.SelectMany(e => e.Value)) : result.Message;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _error = "The change could not be sent: " + ex.Message;
        }
        finally
        {
            _saving = false;
        }
    }

    private void Cancel() => Dialog.Cancel();
}
