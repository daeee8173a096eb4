using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Shared;
using Ringmaster.Web.Components.Tests.Infrastructure;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests;

public sealed class MachinesTests : DashboardTestContext
{
    [Fact]
    public void Machines_ManyMachines_ShowsOnePageFromTheServer()
    {
        Data.Hosts.Add(Sample.Host());
        for (var i = 0; i < 300; i++)
        {
            Data.Machines.Add(Sample.Machine($"m-{i:000}"));
        }

        var cut = Render<Machines>();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(25, cut.FindAll("[data-test=machine-name]").Count);
            Assert.Equal("300", cut.Find("[data-test=grid-total]").GetAttribute("data-total"));
        });
        Assert.All(Data.MachineQueries, q => Assert.Equal(25, q.PageSize));
    }

    [Fact]
    public void Machines_NameFilter_AsksTheServerAndShowsOnlyMatches()
    {
        Data.Machines.Add(Sample.Machine("web-1"));
        Data.Machines.Add(Sample.Machine("db-1"));
        var cut = Render<Machines>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-test=machine-name]").Count));

        cut.Find("[data-test=filter-name] input, input[data-test=filter-name]").Input("web");

        cut.WaitForAssertion(() =>
        {
            var names = cut.FindAll("[data-test=machine-name]").Select(e => e.TextContent).ToList();
            Assert.Equal(["web-1"], names);
        }, Live);
        Assert.Contains(Data.MachineQueries, q => q.Name == "web");
    }

    [Fact]
    public void Machines_StateChangePushed_RowUpdatesWithoutReload()
    {
        var machine = Sample.Machine("web-1", MachineState.Running);
        Data.Machines.Add(machine);
        var cut = Render<Machines>();
        cut.WaitForAssertion(() => Assert.Equal("running", cut.Find("[data-machine=web-1] [data-test=state]").TextContent));
        cut.WaitForState(() => Data.Subscribers == 1);
        var queries = Data.MachineQueries.Count;

        Data.Publish(new MachineChanged(machine with { State = MachineState.Stopped }));

        cut.WaitForAssertion(() => Assert.Equal("stopped", cut.Find("[data-machine=web-1] [data-test=state]").TextContent), Live);
        Assert.Equal(queries, Data.MachineQueries.Count);
    }

    [Fact]
    public void Machines_ChangesLostInAStorm_PageReadsTheStateAgain()
    {
        var machine = Sample.Machine("web-1", MachineState.Running);
        Data.Machines.Add(machine);
        var cut = Render<Machines>();
        cut.WaitForAssertion(() => Assert.Equal("running", cut.Find("[data-machine=web-1] [data-test=state]").TextContent));
        cut.WaitForState(() => Data.Subscribers == 1);
        var queries = Data.MachineQueries.Count;

        // The machine stopped, but the change that said so was among those the page's feed dropped.
        lock (Data.Machines)
        {
            Data.Machines[0] = machine with { State = MachineState.Stopped };
        }

        Data.Publish(new ChangesMissed());

        cut.WaitForAssertion(() => Assert.Equal("stopped", cut.Find("[data-machine=web-1] [data-test=state]").TextContent), Live);
        Assert.True(Data.MachineQueries.Count > queries, "the page showed the new state without reading it again");
    }

    [Fact]
    public void Machines_Empty_SaysHowToLaunchOne()
    {
        var cut = Render<Machines>();

        cut.WaitForAssertion(() => Assert.Contains("Open the Catalog and launch one", cut.Find("[data-test=no-machines]").TextContent));
    }

    [Fact]
    public void Machines_BulkStop_PreviewsThenReportsPerMachine()
    {
        var running = Sample.Machine("web-1", MachineState.Running);
        var stopped = Sample.Machine("web-2", MachineState.Stopped);
        var refused = Sample.Machine("web-3", MachineState.Running);
        Data.Machines.AddRange([running, stopped, refused]);
        Actions.OnAct = (id, _) => id == refused.Id
            ? ServiceResult<OperationAccepted>.Conflict("Machine web-3 cannot be reached: its host is offline.")
            : FakeMachineActions.Accepted("machine.stop", id, "x");
        var cut = Render<Machines>();
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-test=machine-name]").Count));

        foreach (var box in cut.FindAll("tbody input[type=checkbox]"))
        {
            box.Change(true);
        }

        cut.WaitForAssertion(() => Assert.Equal("3 selected", cut.Find("[data-test=selected-count]").TextContent));
        cut.Find("[data-test=bulk-stop]").Click();

        Dialogs.WaitForAssertion(() =>
        {
            var preview = Dialogs.FindAll("[data-test=bulk-preview]").Select(e => e.TextContent).ToList();
            Assert.Contains(preview, p => p.Contains("web-1 (running): will stop", StringComparison.Ordinal));
            Assert.Contains(preview, p => p.Contains("web-2 (stopped): already stopped, skipped", StringComparison.Ordinal));
        });
        Assert.Empty(Actions.Calls);

        Dialogs.Find("[data-test=bulk-confirm]").Click();

        Dialogs.WaitForAssertion(() =>
        {
            var results = Dialogs.FindAll("[data-test=bulk-result]").Select(e => e.TextContent).ToList();
            Assert.Contains(results, r => r.Contains("web-1: stop started", StringComparison.Ordinal));
            Assert.Contains(results, r => r.Contains("web-2: already stopped, skipped", StringComparison.Ordinal));
            Assert.Contains(results, r => r.Contains("web-3: Machine web-3 cannot be reached: its host is offline.", StringComparison.Ordinal));
        });
        Assert.Equal(2, Actions.Calls.Count);
    }

    [Fact]
    public void Machines_SortByState_AsksTheServerToSort()
    {
        Data.Machines.Add(Sample.Machine("web-1"));
        var cut = Render<Machines>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-test=machine-name]")));

        var header = cut.FindAll("th").First(th => th.TextContent.Trim() == "State");
        header.QuerySelector(".sortable-column-header")!.Click();

        cut.WaitForAssertion(() => Assert.Contains(Data.MachineQueries, q => q.Sort == MachineSort.State), Live);
    }

    [Fact]
    public void Machines_ChangeArrivesWhileAReloadReadsOlderRows_NewerStateStays()
    {
        var machine = Sample.Machine("web-1", MachineState.Running);
        var other = Sample.Machine("web-2", MachineState.Running);
        Data.Machines.AddRange([machine, other]);
        var cut = Render<Machines>();
        cut.WaitForAssertion(() => Assert.Equal("running", cut.Find("[data-machine=web-1] [data-test=state]").TextContent));
        cut.WaitForState(() => Data.Subscribers == 1);
        var queries = Data.MachineQueries.Count;
        Data.QueryGate = new TaskCompletionSource();

        Data.Publish(new MachineRemoved(other.Id, other.Name));
        // The reload has read its rows (web-1 still running) and waits on the slow database.
        Assert.True(SpinWait.SpinUntil(() => Data.MachineQueries.Count > queries, Live));
        Data.Publish(new MachineChanged(machine with { State = MachineState.Stopped, UpdatedAt = machine.UpdatedAt.AddSeconds(1) }));
        cut.WaitForAssertion(() => Assert.Equal("stopped", cut.Find("[data-machine=web-1] [data-test=state]").TextContent), Live);
        Data.QueryGate.SetResult();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-machine=web-2]")), Live);
        Assert.Equal("stopped", cut.Find("[data-machine=web-1] [data-test=state]").TextContent);
    }

    [Fact]
    public void Machines_ChangesPublishedOutOfOrder_NewestStateShows()
    {
        var machine = Sample.Machine("web-1", MachineState.Running);
        Data.Machines.Add(machine);
        var cut = Render<Machines>();
        cut.WaitForAssertion(() => Assert.Equal("running", cut.Find("[data-machine=web-1] [data-test=state]").TextContent));
        cut.WaitForState(() => Data.Subscribers == 1);

        Data.Publish(new MachineChanged(machine with { State = MachineState.Stopped, UpdatedAt = machine.UpdatedAt.AddSeconds(2) }));
        Data.Publish(new MachineChanged(machine with { State = MachineState.Error, UpdatedAt = machine.UpdatedAt.AddSeconds(1) }));
        Data.Publish(new MachineChanged(Sample.Machine("marker", MachineState.Creating)));

        cut.WaitForAssertion(() => Assert.Equal("stopped", cut.Find("[data-machine=web-1] [data-test=state]").TextContent), Live);
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-machine=marker]")), Live);
        Assert.Equal("stopped", cut.Find("[data-machine=web-1] [data-test=state]").TextContent);
    }

    [Fact]
    public void Machines_RowSelectedThenFilterReloads_SelectionStays()
    {
        Data.Machines.AddRange([Sample.Machine("web-1", MachineState.Running), Sample.Machine("web-2", MachineState.Running)]);
        var cut = Render<Machines>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-test=machine-name]").Count));

        RowCheckbox(cut, "web-1").Change(true);
        cut.WaitForAssertion(() => Assert.Equal("1 selected", cut.Find("[data-test=selected-count]").TextContent));
        var row = RowOf(cut, "web-1");
        cut.Find("[data-test=filter-name] input, input[data-test=filter-name]").Input("web-1");

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-test=machine-name]")), Live);
        Assert.Equal("web-1", cut.Find("[data-test=grid-total]").GetAttribute("data-name-filter"));
        Assert.Equal("1 selected", cut.Find("[data-test=selected-count]").TextContent);
        Assert.True(RowCheckbox(cut, "web-1").HasAttribute("checked"));
        // The row that stayed is the one drawn before: the grid did not replace it (and its checkbox) under the user.
        Assert.Same(row, RowOf(cut, "web-1"));
    }

    [Fact]
    public void Machines_RowSelectedWhileAReloadIsUnderWay_SelectionStays()
    {
        var machine = Sample.Machine("web-1", MachineState.Running);
        var other = Sample.Machine("web-2", MachineState.Running);
        Data.Machines.AddRange([machine, other]);
        var cut = Render<Machines>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-test=machine-name]").Count));
        cut.WaitForState(() => Data.Subscribers == 1);
        var queries = Data.MachineQueries.Count;
        var row = RowOf(cut, "web-1");
        lock (Data.Machines)
        {
            Data.Machines[Data.Machines.IndexOf(other)] = other with { Labels = new Dictionary<string, string> { ["env"] = "prod" } };
        }

        Data.QueryGate = new TaskCompletionSource();

        Data.Publish(new MachineChanged(Sample.Machine("web-3", MachineState.Creating)));
        Assert.True(SpinWait.SpinUntil(() => Data.MachineQueries.Count > queries, Live));
        RowCheckbox(cut, "web-1").Change(true);
        cut.WaitForAssertion(() => Assert.Equal("1 selected", cut.Find("[data-test=selected-count]").TextContent), Live);
        Data.QueryGate.SetResult();

        // The reload brings the new machine in; the row the user ticked meanwhile stays ticked.
        cut.WaitForAssertion(() => Assert.Equal(["web-1", "web-2", "web-3"], cut.FindAll("[data-test=machine-name]").Select(a => a.TextContent)), Live);
        Assert.Equal("1 selected", cut.Find("[data-test=selected-count]").TextContent);
        Assert.True(RowCheckbox(cut, "web-1").HasAttribute("checked"));
        // The unchanged row is the one the user ticked, not a new one drawn over it; the row that
        // changed shows what changed.
        Assert.Same(row, RowOf(cut, "web-1"));
        Assert.Contains("env=prod", Row(cut, "web-2").TextContent);
        Assert.DoesNotContain("env=dev", Row(cut, "web-2").TextContent);
    }

    [Fact]
    public void Machines_RowSelectedThenItsStateIsPushed_SelectionStays()
    {
        var machine = Sample.Machine("web-1", MachineState.Running);
        Data.Machines.Add(machine);
        var cut = Render<Machines>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-test=machine-name]")));
        cut.WaitForState(() => Data.Subscribers == 1);

        RowCheckbox(cut, "web-1").Change(true);
        Data.Publish(new MachineChanged(machine with { State = MachineState.Stopped, UpdatedAt = machine.UpdatedAt.AddSeconds(1) }));

        cut.WaitForAssertion(() => Assert.Equal("stopped", cut.Find("[data-machine=web-1] [data-test=state]").TextContent), Live);
        Assert.Equal("1 selected", cut.Find("[data-test=selected-count]").TextContent);
        Assert.True(RowCheckbox(cut, "web-1").HasAttribute("checked"));
    }

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<Machines> cut, string name) =>
        cut.FindAll("tbody tr").Single(tr => tr.QuerySelector($"[data-machine='{name}']") is not null);

    private static AngleSharp.Dom.IElement RowCheckbox(IRenderedComponent<Machines> cut, string name) =>
        Row(cut, name).QuerySelector("input[type=checkbox]")!;

    /// <summary>
    /// The row's state chip: a component drawn inside the row, so the same instance after a reload
    /// means the grid kept the row (a row the grid replaces is drawn anew, chip and checkbox alike).
    /// </summary>
    private static StateChip RowOf(IRenderedComponent<Machines> cut, string name) =>
        cut.FindComponents<StateChip>().Single(c => c.Instance.Machine.Name == name).Instance;
}
