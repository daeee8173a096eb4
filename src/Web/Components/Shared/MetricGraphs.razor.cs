using Microsoft.AspNetCore.Components;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Shared;

/// <summary>
/// A machine's or host's history as graphs, with a picker for the range (1 h, 1 d, 1 w, 1 y). The
/// picked range is written into the address (<c>?range=1d</c>) so a reload or a shared link shows it
/// again; the page passes the address' range in as <see cref="Range"/>.
/// </summary>
public sealed partial class MetricGraphs : IDisposable
{
    private static readonly Func<double, string> s_percent = Display.Percent;
    private static readonly Func<double, string> s_bytes = v => Display.Bytes((long)Math.Round(v));
    private static readonly Func<double, string> s_rate = Display.Rate;
    private static readonly Func<double, string> s_mips = v => Display.Number(v) + " MIPS";

    private readonly CancellationTokenSource _closed = new();
    private MetricTier _tier = MetricsHistory.Tiers[0];
    private Guid _shownFor;
    private string? _shownRange;
    private MetricHistory? _history;
    private bool _loading;
    private string? _error;
    private int _version;

    [Parameter, EditorRequired] public MetricOwner Owner { get; set; }
    [Parameter, EditorRequired] public Guid OwnerId { get; set; }
    /// <summary>The range the address asks for (<c>1h</c>, <c>1d</c>, <c>1w</c>, <c>1y</c>); an hour when missing or unknown.</summary>
    [Parameter] public string? Range { get; set; }

    [Inject] public required IDashboardData Data { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }

    public static string RangeName(MetricTier tier) => tier.Range.Insert(1, " ");

    private static string Span(MetricTier tier) => tier.Range switch
    {
        "1h" => "hour",
        "1d" => "day",
        "1w" => "week",
        _ => "year",
    };

    /// <summary>How fine the points of a range are, in words.</summary>
    private static string Resolution(MetricTier tier) => tier.StepSeconds switch
    {
        < 60 => $"a point every {tier.StepSeconds} s",
        < 3600 => $"a point every {tier.StepSeconds / 60} min",
        _ => $"a point every {tier.StepSeconds / 3600} h",
    };

    protected override async Task OnParametersSetAsync()
    {
        var wanted = MetricsHistory.TierOf(Range) ?? MetricsHistory.Tiers[0];
        // Only a new owner, or a range the address changed to (back, forward, a link), reads again.
        if (OwnerId == _shownFor && (Range ?? "") == (_shownRange ?? ""))
        {
            return;
        }

        _shownRange = Range;
        if (OwnerId == _shownFor && wanted == _tier && _history is not null)
        {
            return;
        }

        _tier = wanted;
        await LoadAsync();
    }

    private async Task PickAsync(string? range)
    {
        if (MetricsHistory.TierOf(range) is not { } tier || tier == _tier)
        {
            return;
        }

        _tier = tier;
        var uri = Navigation.GetUriWithQueryParameter("range", tier.Range);
        if (uri != Navigation.Uri)
        {
            _shownRange = tier.Range;
            Navigation.NavigateTo(uri, replace: true);
        }

        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        var version = ++_version;
        var tier = _tier;
        _shownFor = OwnerId;
        _loading = true;
        StateHasChanged();
        try
        {
            var history = await Data.GetMetricsAsync(Owner, OwnerId, tier, _closed.Token);
            if (version != _version)
            {
                return; // a newer pick is loading
            }

            _history = history;
            _error = null;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception ex)
        {
            if (version != _version)
            {
                return;
            }

            _error = "The history could not be read: " + ex.Message;
        }

        _loading = false;
    }

    private IReadOnlyList<(DateTimeOffset At, double? Value)> Series(Func<MetricPoint, double?> value) =>
        [.. (_history?.Points ?? []).Select(p => (p.At, value(p)))];

    private IReadOnlyList<HistoryChart.Line> CpuLines => [new("CPU %", Series(p => p.CpuPercent))];

    private IReadOnlyList<HistoryChart.Line> MemoryLines =>
    [
        new("used", Series(p => p.MemoryUsedBytes)),
        new(Owner == MetricOwner.Host ? "total" : "limit", Series(p => p.MemoryTotalBytes), Dashed: true),
    ];

    private IReadOnlyList<HistoryChart.Line> DiskLines => [new("read", Series(p => p.DiskReadPerSecond)), new("write", Series(p => p.DiskWritePerSecond))];

    private IReadOnlyList<HistoryChart.Line> NetworkLines => [new("received", Series(p => p.NetRxPerSecond)), new("sent", Series(p => p.NetTxPerSecond))];

    private IReadOnlyList<HistoryChart.Line> MipsLines => [new("million instructions/s", Series(p => p.Mips))];

    public void Dispose()
    {
        _closed.Cancel();
        _closed.Dispose();
        GC.SuppressFinalize(this);
    }
}
