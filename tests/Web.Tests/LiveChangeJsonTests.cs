using System.Text.Json;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Cluster;

namespace Ringmaster.Web.Tests;

/// <summary>The live changes web nodes send each other through the backplane: every kind goes, and reads back as it was.</summary>
public sealed class LiveChangeJsonTests
{
    [Fact]
    public void EveryKindOfLiveChange_CanBeSentToTheOtherNodes()
    {
        // ChangesMissed is made by each subscription for itself, never published.
        var kinds = typeof(LiveChange).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(LiveChange)) && !t.IsAbstract && t != typeof(ChangesMissed)).ToList();

        Assert.Contains(typeof(AlertChanged), kinds);
        Assert.All(kinds, kind => Assert.True(LiveChangeJson.Supports(kind), $"{kind.Name} would not reach the other nodes"));
    }

    [Fact]
    public void Changes_ReadBackWithTheirNodeAndEveryField()
    {
        var node = Guid.NewGuid();
        var at = new DateTimeOffset(2026, 12, 7, 18, 40, 1, 234, TimeSpan.Zero);
        LiveChange[] changes =
        [
            new AlertChanged(new AlertView(Guid.NewGuid(), AlertService.MachineLost, "critical", "open", "web-1", "12 machines are Lost", "team-a",
                Guid.NewGuid(), null, null, at, null, null, null)),
            new MetricsChanged(Guid.NewGuid(), [new GuestMetrics(Guid.NewGuid(), at, 12.5, 1 << 20, 1 << 26, 1, 2, 3, 4, 150.25)]),
            new MachineRemoved(Guid.NewGuid(), "gone"),
        ];

        foreach (var change in changes)
        {
            var (from, read) = LiveChangeJson.Deserialize(LiveChangeJson.Serialize(node, change));

            Assert.Equal(node, from);
            Assert.NotNull(read);
            Assert.Equal(change.GetType(), read.GetType());
            Assert.Equal(JsonSerializer.Serialize(change, change.GetType(), LiveChangeJson.Options), JsonSerializer.Serialize(read, read.GetType(), LiveChangeJson.Options));
        }
    }

    [Fact]
    public void AKindThisVersionDoesNotKnow_IsNoChange()
    {
        var node = Guid.NewGuid();
        var message = JsonSerializer.SerializeToUtf8Bytes(new { node, kind = "weather", change = new { sunny = true } }, LiveChangeJson.Options);

        var (from, change) = LiveChangeJson.Deserialize(message);

        Assert.Equal(node, from);
        Assert.Null(change);
    }
}
