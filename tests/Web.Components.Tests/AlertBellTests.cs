using Microsoft.AspNetCore.Components;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Layout;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

/// <summary>The bell in the app bar: the count of open alerts, the list, live changes and acknowledging.</summary>
public sealed class AlertBellTests : DashboardTestContext
{
    protected override bool RendersProviders => false;

    private IRenderedComponent<MainLayout> RenderLayout() =>
        Render<MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b => b.AddContent(0, "page body"))));

    [Fact]
    public void Bell_NoOpenAlerts_ShowsNoCountAndSaysNothingNeedsAttention()
    {
        var cut = RenderLayout();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-ringmaster-ready=true]")));
        Assert.DoesNotContain(cut.FindAll(".mud-badge"), b => b.TextContent.Trim().Length > 0);
        Assert.Equal("Alerts: none open", cut.Find("[data-test=alert-bell]").GetAttribute("aria-label"));

        cut.Find("[data-test=alert-bell]").Click();

        cut.WaitForAssertion(() => Assert.Contains("no open alerts", cut.Find("[data-test=no-alerts]").TextContent));
    }

    [Fact]
    public void Bell_HostOfflineThenMachineErrorArriveLive_CountsTwoAndListsBothNewestFirst()
    {
        var host = FakeAlertActions.Alert(AlertService.HostOffline, "critical", "node-7", "Host node-7 is offline: its agent stopped answering.", hostId: Guid.NewGuid());
        Alerts.Open.Add(host);
        var cut = RenderLayout();
        cut.WaitForAssertion(() => Assert.Equal("1", cut.Find(".mud-badge").TextContent.Trim()));

        var machine = FakeAlertActions.Alert(AlertService.MachineError, "warning", "web-3", "Machine web-3 is Error: the engine refused to start it.", machineId: Guid.NewGuid());
        Data.Publish(new AlertChanged(machine));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("2", cut.Find(".mud-badge").TextContent.Trim());
            Assert.Equal("Alerts: 2 open", cut.Find("[data-test=alert-bell]").GetAttribute("aria-label"));
        });
        cut.Find("[data-test=alert-bell]").Click();
        cut.WaitForAssertion(() =>
        {
            var items = cut.FindAll("[data-test=alert]");
            Assert.Equal(2, items.Count);
            Assert.Contains("web-3 in Error", items[0].TextContent);
            Assert.Contains("the engine refused to start it", items[0].TextContent);
            Assert.Contains("Host node-7 offline", items[1].TextContent);
        });

        // The host came back: its alert is resolved and leaves the bell.
        Data.Publish(new AlertChanged(host with { State = "resolved", ResolvedAt = DateTimeOffset.UtcNow }));
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("1", cut.Find(".mud-badge").TextContent.Trim());
            Assert.Single(cut.FindAll("[data-test=alert]"));
        });
    }

    [Fact]
    public void Acknowledge_OpenAlert_LeavesTheListAndTheCount()
    {
        var alert = FakeAlertActions.Alert(AlertService.OperationFailed, "warning", "db-1", "The backup of db-1 failed: the store is full.");
        Alerts.Open.Add(alert);
        var cut = RenderLayout();
        cut.WaitForAssertion(() => Assert.Equal("1", cut.Find(".mud-badge").TextContent.Trim()));
        cut.Find("[data-test=alert-bell]").Click();

        cut.WaitForElement("[data-test=acknowledge]").Click();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal([alert.Id], Alerts.Acknowledged);
            Assert.Empty(cut.FindAll("[data-test=alert]"));
            Assert.NotNull(cut.Find("[data-test=no-alerts]"));
        });
    }

    [Fact]
    public void Acknowledge_Refused_SaysWhyAndKeepsTheAlert()
    {
        Alerts.Open.Add(FakeAlertActions.Alert(AlertService.HostOffline, "critical", "node-2", "Host node-2 is offline."));
        Alerts.RefuseWith = "Your role (Viewer) may only look; this needs Operator or Admin.";
        var cut = RenderLayout();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-ringmaster-ready=true]")));
        cut.Find("[data-test=alert-bell]").Click();

        cut.WaitForElement("[data-test=acknowledge]").Click();

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("may only look", cut.Find("[data-test=alert-message]").TextContent);
            Assert.Single(cut.FindAll("[data-test=alert]"));
        });
    }
}
