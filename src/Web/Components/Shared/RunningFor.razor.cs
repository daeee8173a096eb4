using Microsoft.AspNetCore.Components;
using Ringmaster.Contracts;

namespace Ringmaster.Web.Components.Shared;

/// <summary>
/// How long a running machine has run ("Running for 3 minutes"), from the start time its host's
/// engine reported. The time is kept, never the age: the age is worked out as it is shown, and the
/// text changes by itself when it would read differently (every second in the first minute, then
/// every minute, then every hour).
/// </summary>
public partial class RunningFor
{
    private CancellationTokenSource? _ticking;
    private Task _tick = Task.CompletedTask;
    private DateTimeOffset? _tickingFor;

    [Parameter, EditorRequired] public MachineView Machine { get; set; } = null!;

    [Inject] public required TimeProvider Clock { get; init; }

    private DateTimeOffset? Since => Machine.State == MachineState.Running ? Machine.StartedAt : null;

    protected override async Task OnParametersSetAsync()
    {
        if (Since == _tickingFor)
        {
            return;
        }

        await StopTickingAsync();
        _tickingFor = Since;
        if (Since is { } since)
        {
            _ticking = new CancellationTokenSource();
            _tick = TickAsync(since, _ticking.Token);
        }
    }

    private async Task TickAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(UntilNextChange(Clock.GetUtcNow() - since), Clock, cancellationToken);
                await InvokeAsync(StateHasChanged);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task StopTickingAsync()
    {
        if (_ticking is null)
        {
            return;
        }

        await _ticking.CancelAsync();
        await _tick;
        _ticking.Dispose();
        _ticking = null;
    }

    /// <summary>An age as it reads after "Running for": "12 seconds", "3 minutes", "2 hours 5 minutes", "4 days 1 hour".</summary>
    public static string Describe(TimeSpan age)
    {
        // The host's clock may be a little ahead of the server's.
        if (age < TimeSpan.FromSeconds(1))
        {
            return "less than a second";
        }

        return age.TotalMinutes < 1 ? Count((int)age.TotalSeconds, "second")
            : age.TotalHours < 1 ? Count((int)age.TotalMinutes, "minute")
            : age.TotalDays < 1 ? Count((int)age.TotalHours, "hour") + (age.Minutes > 0 ? " " + Count(age.Minutes, "minute") : "")
            : Count((int)age.TotalDays, "day") + (age.Hours > 0 ? " " + Count(age.Hours, "hour") : "");
    }

    /// <summary>How long until <see cref="Describe"/> reads differently.</summary>
    public static TimeSpan UntilNextChange(TimeSpan age)
    {
        var unit = age.TotalMinutes < 1 ? TimeSpan.FromSeconds(1) : age.TotalDays < 1 ? TimeSpan.FromMinutes(1) : TimeSpan.FromHours(1);
        var next = age < TimeSpan.Zero ? -age : unit - TimeSpan.FromTicks(age.Ticks % unit.Ticks);
        return next < TimeSpan.FromMilliseconds(20) ? TimeSpan.FromMilliseconds(20) : next;
    }

    private static string Count(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n} {unit}s";

    public async ValueTask DisposeAsync()
    {
        await StopTickingAsync();
        GC.SuppressFinalize(this);
    }
}
