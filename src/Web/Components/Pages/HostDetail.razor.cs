using Microsoft.AspNetCore.Components;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Components.Pages;

/// <summary>One host: its state, what it can do and its history (CPU, memory, its guests' disk and network I/O).</summary>
public partial class HostDetail
{
    private HostView? _host;
    private bool _loadedOnce;
    private string? _error;

    /// <summary>The host's name or id.</summary>
    [Parameter] public string Key { get; set; } = "";

    /// <summary>The history's range, kept in the address (<c>?range=1d</c>).</summary>
    [SupplyParameterFromQuery(Name = "range")] public string? Range { get; set; }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var hosts = await Data.GetHostsAsync(cancellationToken);
            _host = hosts.FirstOrDefault(h => h.Name == Key) ?? (Guid.TryParse(Key, out var id) ? hosts.FirstOrDefault(h => h.Id == id) : null);
            _error = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _error = "The host could not be read: " + ex.Message;
        }

        _loadedOnce = true;
    }

    protected override bool Apply(LiveChange change)
    {
        switch (change)
        {
            case HostChanged changed when _host is not null && changed.Host.Id == _host.Id:
                _host = changed.Host;
                return true;
            case HostChanged changed when _host is null && (changed.Host.Name == Key || changed.Host.Id.ToString() == Key):
                _host = changed.Host;
                return true;
            default:
                return false;
        }
    }
}
