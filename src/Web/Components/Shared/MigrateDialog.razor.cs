using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Shared;

/// <summary>Picks a target host, shows the pre-flight checks, and starts the migration only when they pass.</summary>
public partial class MigrateDialog
{
    private string? _host;
    private bool _live;
    private bool _checking;
    private bool _starting;
    private MigrationPreflight? _preflight;
    private string? _preflightError;
    private string? _startError;
    private int _generation;

    [CascadingParameter] public required IMudDialogInstance Dialog { get; set; }
    [Parameter, EditorRequired] public MachineView Machine { get; set; } = null!;
    [Parameter, EditorRequired] public IReadOnlyList<HostView> Hosts { get; set; } = [];
    [Inject] public required IMigrationActions Migrations { get; init; }

    private List<HostView> Targets => [.. Hosts.Where(h => h.Id != Machine.HostId).OrderByDescending(h => h.Online).ThenBy(h => h.Name, StringComparer.Ordinal)];

    private bool CanStart => !_starting && !_checking && _preflight is { CanMigrate: true } && _host == _preflight.Target;

    protected override async Task OnInitializedAsync()
    {
        _live = Machine.Kind == MachineKind.Vm && Machine.State is MachineState.Running or MachineState.Paused;
        if (Targets.FirstOrDefault(h => h.Online) is { } first)
        {
            await HostChangedAsync(first.Name);
        }
    }

    private async Task HostChangedAsync(string host)
    {
        _host = host;
        await CheckAsync();
    }

    private async Task LiveChangedAsync(bool live)
    {
        _live = live;
        await CheckAsync();
    }

    private bool? Live => Machine.Kind == MachineKind.Container ? false : _live;

    private async Task CheckAsync()
    {
        if (_host is null)
        {
            return;
        }

        var generation = ++_generation;
        _checking = true;
        _preflight = null;
        _preflightError = null;
        _startError = null;
        StateHasChanged();
        try
        {
            var result = await Migrations.PreflightAsync(Machine.Id, _host, Live);
            if (generation != _generation)
            {
                return;
            }

            if (result.Kind == ResultKind.Ok)
            {
                _preflight = result.Value;
            }
            else
            {
                _preflightError = "The pre-flight could not run: " + (result.Errors is { Count: > 0 } e ? string.Join(" ", e.SelectMany(x => x.Value)) : result.Message);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _preflightError = "The pre-flight could not run: " + ex.Message;
        }
        finally
        {
            if (generation == _generation)
            {
                _checking = false;
            }
        }
    }

    private async Task MigrateAsync()
    {
        if (!CanStart)
        {
            return;
        }

        _starting = true;
        _startError = null;
        try
        {
            var result = await Migrations.MigrateAsync(Machine.Id, _host!, Live);
            if (result.Kind == ResultKind.Ok)
            {
                Dialog.Close(DialogResult.Ok(result.Value!));
                return;
            }

            _startError = Display.Problem(result);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _startError = ex.Message;
        }
        finally
        {
            _starting = false;
        }
    }

    private void Cancel() => Dialog.Cancel();
}
