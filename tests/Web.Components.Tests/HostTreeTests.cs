using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Shared;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

/// <summary>The tree of hosts and their machines beside the machine list.</summary>
public sealed class HostTreeTests : DashboardTestContext
{
    private static readonly Guid s_beta = Guid.Parse("22222222-2222-2222-2222-222222222222");

    [Fact]
    public void HostTree_HostsWithMachines_ListsEachHostsMachinesWithStatesAndLinks()
    {
        Data.Hosts.Add(Sample.Host("alpha"));
        Data.Hosts.Add(Sample.Host("beta", online: false, id: s_beta));
        var web = Sample.Machine("web-1");
        Data.Machines.Add(web);
        Data.Machines.Add(Sample.Machine("db-1", MachineState.Stopped, hostId: s_beta));

        var cut = Render<HostTree>();

        cut.WaitForAssertion(() =>
        {
            var hosts = cut.FindAll("[data-test=tree-host]");
            Assert.Equal(["alpha", "beta"], hosts.Select(h => h.GetAttribute("data-host")));
            Assert.Equal("/hosts/alpha", hosts[0].QuerySelector("[data-test=tree-host-link]")!.GetAttribute("href"));
            Assert.Contains("offline", hosts[1].QuerySelector("summary")!.TextContent);
            var webLeaf = hosts[0].QuerySelector("[data-test=tree-machine][data-machine=web-1]")!;
            Assert.Equal($"/machines/{web.Id}", webLeaf.QuerySelector("a")!.GetAttribute("href"));
            Assert.Equal("running", webLeaf.QuerySelector("[data-test=tree-state]")!.TextContent.Trim());
            Assert.Equal("stopped", hosts[1].QuerySelector("[data-test=tree-machine][data-machine=db-1] [data-test=tree-state]")!.TextContent.Trim());
        });
    }

    [Fact]
    public void HostTree_MachineStops_ShowsTheNewState()
    {
        Data.Hosts.Add(Sample.Host("alpha"));
        var web = Sample.Machine("web-1");
        Data.Machines.Add(web);
        var cut = Render<HostTree>();
        cut.WaitForAssertion(() => Assert.Equal("running", cut.Find("[data-machine=web-1] [data-test=tree-state]").TextContent.Trim()));

        Data.Publish(new MachineChanged(web with { State = MachineState.Stopped, UpdatedAt = DateTimeOffset.UtcNow.AddSeconds(1) }));

        cut.WaitForAssertion(() => Assert.Equal("stopped", cut.Find("[data-machine=web-1] [data-test=tree-state]").TextContent.Trim()));
    }

    [Fact]
    public void HostTree_NewMachine_AppearsUnderItsHost()
    {
        Data.Hosts.Add(Sample.Host("alpha"));
        var cut = Render<HostTree>();
        cut.WaitForAssertion(() => Assert.Contains("0 machines", cut.Find("[data-host=alpha] summary").TextContent));

        Data.Publish(new MachineChanged(Sample.Machine("new-1", MachineState.Creating)));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-host=alpha] [data-machine=new-1]")));
    }

    [Fact]
    public void MachinesPage_ByHost_ShowsTheTreeBesideTheList()
    {
        Data.Hosts.Add(Sample.Host("alpha"));
        Data.Machines.Add(Sample.Machine("web-1"));
        var cut = Render<Machines>();
        Assert.Empty(cut.FindAll("[data-test=host-tree]"));

        cut.Find("[data-test=tree-toggle]").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find(".rm-with-tree [data-test=host-tree] [data-host=alpha] [data-machine=web-1]")));
    }

    [Fact]
    public void MachinesPage_ByHost_IsKeptInTheAddress_SoAReloadShowsTheTreeAgain()
    {
        Data.Hosts.Add(Sample.Host("alpha"));
        Data.Machines.Add(Sample.Machine("web-1"));
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/machines?name=web");
        var cut = Render<Machines>();

        cut.Find("[data-test=tree-toggle]").Click();

        cut.WaitForAssertion(() => Assert.Equal("?name=web&tree=1", new Uri(navigation.Uri).Query));

        // A reload (or the link shared): a new page on that address opens with the tree and the filter.
        var reloaded = Render<Machines>();
        reloaded.WaitForAssertion(() => Assert.NotNull(reloaded.Find(".rm-with-tree [data-test=host-tree] [data-host=alpha] [data-machine=web-1]")));
        Assert.Equal("true", reloaded.Find("[data-test=tree-toggle]").GetAttribute("aria-pressed"));

        reloaded.Find("[data-test=tree-toggle]").Click();

        reloaded.WaitForAssertion(() => Assert.Equal("?name=web", new Uri(navigation.Uri).Query));
        Assert.Empty(reloaded.FindAll("[data-test=host-tree]"));
    }
}

/// <summary>The host tree on a real store: a project's user sees every host but only their project's machines.</summary>
public sealed class HostTreeScopeTests : SearchTestContext
{
    [Fact]
    public void HostTree_UserOfOneProject_ShowsOnlyThatProjectsMachines()
    {
        SignInProjectUser("bob", "blue");

        var cut = Render<HostTree>();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(["Alpha-Host", "beta-host"], cut.FindAll("[data-test=tree-host]").Select(h => h.GetAttribute("data-host")));
            Assert.Equal(["web-blue-1"], cut.FindAll("[data-host=Alpha-Host] [data-test=tree-machine]").Select(m => m.GetAttribute("data-machine")));
            Assert.Equal(["db-blue-2"], cut.FindAll("[data-host=beta-host] [data-test=tree-machine]").Select(m => m.GetAttribute("data-machine")));
            Assert.DoesNotContain("web-red-1", cut.Markup, StringComparison.Ordinal);
        });
    }
}
