namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>
/// A clock whose "now" the test sets, so that what a page shows does not depend on how fast a
/// loaded machine renders; its timers are the system's (a page's tick still comes, and reads this "now").
/// </summary>
public sealed class FakeClock(DateTimeOffset now) : TimeProvider
{
    private long _ticks = now.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
