using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

public sealed class OperationsTests : DashboardTestContext
{
    [Fact]
    public void Operations_Log_ShowsProgressStateWhoAndError()
    {
        Data.Operations.Add(Sample.Operation("machine.start", "web-1", state: OperationStatus.Running, progress: 40));
        Data.Operations.Add(Sample.Operation("machine.create", "db-1", state: OperationStatus.Failed, progress: 5, error: "No online host has a container engine."));

        var cut = Render<Operations>();

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("[data-test=operation-row]").Select(r => r.TextContent).ToList();
            Assert.Equal(2, rows.Count);
            Assert.Contains(rows, r => r.Contains("start web-1", StringComparison.Ordinal) && r.Contains("40 %", StringComparison.Ordinal) && r.Contains("dashboard", StringComparison.Ordinal));
            Assert.Contains("No online host has a container engine.", cut.Find("[data-test=operation-error]").TextContent);
        });
    }

    [Fact]
    public void Operations_Search_ShowsOnlyMatches()
    {
        Data.Operations.Add(Sample.Operation("machine.start", "web-1"));
        Data.Operations.Add(Sample.Operation("machine.stop", "db-1"));
        var cut = Render<Operations>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-test=operation-row]").Count));

        cut.Find("[data-test=filter-search] input, input[data-test=filter-search]").Input("db-");

        cut.WaitForAssertion(() => Assert.Contains("stop db-1", Assert.Single(cut.FindAll("[data-test=operation-row]")).TextContent), Live);
    }

    [Fact]
    public void Operations_ProgressPushed_BarMovesLive()
    {
        var op = Sample.Operation("machine.create", "web-1", progress: 10);
        Data.Operations.Add(op);
        var cut = Render<Operations>();
        cut.WaitForAssertion(() => Assert.Contains("10 %", cut.Find("[data-test=operation-row]").TextContent));
        cut.WaitForState(() => Data.Subscribers == 1);

        Data.Publish(new OperationChanged(op with { Progress = 80 }));

        cut.WaitForAssertion(() => Assert.Contains("80 %", cut.Find("[data-test=operation-row]").TextContent), Live);
    }

    [Fact]
    public void Operations_None_SaysWhereTheyComeFrom()
    {
        var cut = Render<Operations>();

        cut.WaitForAssertion(() => Assert.Contains("Launch a machine from the Catalog", cut.Find("[data-test=empty-state]").TextContent));
    }

    [Fact]
    public void OperationDetail_Failed_ShowsErrorAndLog()
    {
        var op = Sample.Operation("machine.create", "web-1", state: OperationStatus.Failed, progress: 5,
            error: "The host refused: no container engine.", log: "05:00:01 Creating container web-1\n05:00:02 failed\n");
        Data.Operations.Add(op);

        var cut = Render<OperationDetail>(p => p.Add(x => x.Id, op.Id));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("create web-1", cut.Find("[data-test=operation-title]").TextContent);
            Assert.Equal("failed", cut.Find("[data-test=operation-state]").TextContent);
            Assert.Contains("no container engine", cut.Find("[data-test=operation-error]").TextContent);
            Assert.Contains("Creating container web-1", cut.Find("[data-test=operation-log]").TextContent);
        });
    }
}
