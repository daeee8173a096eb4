using System.Text.Json;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Shared;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages;

public partial class Machines
{
    private static readonly int[] s_pageSizes = [25, 50, 100, 250];
    private static readonly IEqualityComparer<MachineView> s_byId = EqualityComparer<MachineView>.Create((a, b) => a?.Id == b?.Id, m => m.Id.GetHashCode());

    private MudDataGrid<MachineView>? _grid;
    private HashSet<MachineView> _selected = new(s_byId);
    private IReadOnlyList<HostView> _hosts = [];
    private readonly Dictionary<Guid, MachineView> _live = [];
    private Dictionary<Guid, MachineView> _onPage = [];
    private string? _name;
    private MachineState? _state;
    private MachineKind? _kind;
    private Guid? _hostId;
    private string? _label;
    private int _total;
    private string? _shownName;
    private string? _error;
    private bool _loaded;

    [Inject] public required IMachineActions Actions { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }

    [Inject] public required NavigationManager Navigation { get; init; }

    // The filters live in the address too, so a reload, a bookmark or a shared link shows the same list.
    [SupplyParameterFromQuery(Name = "host")] public string? HostQuery { get; set; }
    [SupplyParameterFromQuery(Name = "name")] public string? NameQuery { get; set; }
    [SupplyParameterFromQuery(Name = "state")] public string? StateQuery { get; set; }
    [SupplyParameterFromQuery(Name = "kind")] public string? KindQuery { get; set; }
    [SupplyParameterFromQuery(Name = "label")] public string? LabelQuery { get; set; }

    /// <summary>"1" when the tree of hosts is shown beside the list (kept in the address like the filters).</summary>
    [SupplyParameterFromQuery(Name = "tree")] public string? TreeQuery { get; set; }

    private bool Filtered => !string.IsNullOrWhiteSpace(_name) || _state is not null || _kind is not null || _hostId is not null || !string.IsNullOrWhiteSpace(_label);

    private MachineView Current(MachineView row) => _live.GetValueOrDefault(row.Id) ?? row;

    /// <summary>Whether the tree of hosts and their machines is shown beside the list.</summary>
    private bool _tree;

    private void ToggleTree()
    {
        _tree = !_tree;
        KeepFiltersInAddress();
    }

    protected override void OnInitialized()
    {
        // Before the grid asks for its first page.
        _name = string.IsNullOrWhiteSpace(NameQuery) ? null : NameQuery;
        _state = Enum.TryParse<MachineState>(StateQuery, ignoreCase: true, out var state) ? state : null;
        _kind = Enum.TryParse<MachineKind>(KindQuery, ignoreCase: true, out var kind) ? kind : null;
        _label = string.IsNullOrWhiteSpace(LabelQuery) ? null : LabelQuery;
        _tree = TreeQuery is "1" || string.Equals(TreeQuery, "true", StringComparison.OrdinalIgnoreCase);
    }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        _hosts = await Data.GetHostsAsync(cancellationToken);
        if (!_loaded)
        {
            _loaded = true;
            _hostId = HostQuery is { } wanted ? _hosts.FirstOrDefault(h => h.Name == wanted || h.Id.ToString() == wanted)?.Id : null;
            if (_hostId is not null && _grid is not null)
            {
                await _grid.ReloadServerData();
            }

            return;
        }

        if (_grid is not null)
        {
            await _grid.ReloadServerData();
        }
    }

    private async Task<GridData<MachineView>> ServerDataAsync(GridState<MachineView> state, CancellationToken cancellationToken)
    {
        var sort = state.SortDefinitions.FirstOrDefault();
        var query = new MachineQuery(
            state.Page,
            state.PageSize,
            _name,
            _state,
            _kind,
            _hostId,
            _label,
            sort?.SortBy switch
            {
                nameof(MachineView.State) => MachineSort.State,
                nameof(MachineView.Kind) => MachineSort.Kind,
                nameof(MachineView.Host) => MachineSort.Host,
                nameof(MachineView.CreatedAt) => MachineSort.Created,
                _ => MachineSort.Name,
            },
            sort?.Descending ?? false);
        try
        {
            var page = await Data.QueryMachinesAsync(query, cancellationToken);
            _error = null;
            if (_total != page.Total || _shownName != query.Name)
            {
                // The count and the filter it was read with live outside the grid: render the page around it too.
                _total = page.Total;
                _shownName = query.Name;
                _ = InvokeAsync(StateHasChanged);
            }

            // The grid keys its rows by item, and a MachineView read again is a new record with new
            // lists inside, so it never equals the one on screen: every reload would replace each
            // row's elements (its checkbox too) under the user's clicks. A row that did not change
            // keeps the instance the grid has.
            var items = page.Items.Select(m => _onPage.TryGetValue(m.Id, out var shown) && SameRow(shown, m) ? shown : m).ToList();
            _onPage = items.ToDictionary(m => m.Id);
            // Keep a pushed change that is newer than what the query read.
            foreach (var id in _live.Keys.ToList())
            {
                if (!_onPage.TryGetValue(id, out var row) || row.UpdatedAt > _live[id].UpdatedAt)
                {
                    _live.Remove(id);
                }
            }

            return new GridData<MachineView> { Items = items, TotalItems = page.Total };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _error = "The machines could not be read: " + ex.Message;
            return new GridData<MachineView> { Items = [], TotalItems = 0 };
        }
    }

    private static bool SameRow(MachineView shown, MachineView read) =>
        JsonSerializer.Serialize(shown) == JsonSerializer.Serialize(read);

    protected override bool Apply(LiveChange change)
    {
        switch (change)
        {
            case MachineChanged changed:
                var machine = changed.Machine;
                if (_onPage.TryGetValue(machine.Id, out var row))
                {
                    if (machine.IsOlderThan((_live.GetValueOrDefault(machine.Id) ?? row).UpdatedAt))
                    {
                        return false;
                    }

                    _live[machine.Id] = machine;
                    if (_state is not null)
                    {
                        RequestReload();
                    }

                    return true;
                }

                if (machine.State == MachineState.Creating)
                {
                    RequestReload();
                }

                return false;
            case MachineRemoved removed:
                _selected.RemoveWhere(m => m.Id == removed.MachineId);
                RequestReload();
                return false;
            case HostChanged { Host: var host }:
                // Heartbeats publish a host every few seconds; the grid shows only a host's name
                // (and the filter lists the hosts), so only a new or renamed host needs a new page.
                // Reloading on each would redraw the rows under the user's clicks.
                if (_hosts.FirstOrDefault(h => h.Id == host.Id)?.Name != host.Name)
                {
                    RequestReload();
                }

                return false;
            default:
                return false;
        }
    }

    private Task OnNameChanged(string? value)
    {
        _name = value;
        return ReloadGridAsync();
    }

    private Task OnStateChanged(MachineState? value)
    {
        _state = value;
        return ReloadGridAsync();
    }

    private Task OnKindChanged(MachineKind? value)
    {
        _kind = value;
        return ReloadGridAsync();
    }

    private Task OnHostChanged(Guid? value)
    {
        _hostId = value;
        return ReloadGridAsync();
    }

    private Task OnLabelChanged(string? value)
    {
        _label = value;
        return ReloadGridAsync();
    }

    private Task ReloadGridAsync()
    {
        KeepFiltersInAddress();
        return _grid?.ReloadServerData() ?? Task.CompletedTask;
    }

    /// <summary>Writes the filters and the tree toggle into the address in place (no history entry per key typed).</summary>
    private void KeepFiltersInAddress()
    {
        var uri = Navigation.GetUriWithQueryParameters(new Dictionary<string, object?>
        {
            ["name"] = string.IsNullOrWhiteSpace(_name) ? null : _name,
            ["state"] = _state?.ToString().ToLowerInvariant(),
            ["kind"] = _kind?.ToString().ToLowerInvariant(),
            // Before the hosts are read, the host asked for is not resolved yet: keep it as it was asked.
            ["host"] = _hostId is { } id ? _hosts.FirstOrDefault(h => h.Id == id)?.Name ?? id.ToString() : _loaded ? null : HostQuery,
            ["label"] = string.IsNullOrWhiteSpace(_label) ? null : _label,
            ["tree"] = _tree ? "1" : null,
        });
        if (uri != Navigation.Uri)
        {
            Navigation.NavigateTo(uri, replace: true);
        }
    }

    private async Task BulkAsync(string action)
    {
        var machines = _selected.Select(Current).OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
        var parameters = new DialogParameters<BulkActionDialog>
        {
            { d => d.Action, action },
            { d => d.Machines, machines },
        };
        var dialog = await Dialogs.ShowAsync<BulkActionDialog>($"{char.ToUpperInvariant(action[0])}{action[1..]} {machines.Count} machines", parameters,
            new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        var result = await dialog.Result;
        if (result is { Canceled: false, Data: BulkOutcome outcome })
        {
            Snackbar.Add(outcome.Summary, outcome.Failed == 0 ? Severity.Success : Severity.Warning);
            if (action == "delete")
            {
                _selected.Clear();
            }
        }
    }
}
