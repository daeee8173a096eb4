using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

public sealed class HostsTests : DashboardTestContext
{
    [Fact]
    public void Hosts_Capabilities_ShownInPlainWordsWithMachines()
    {
        Data.Hosts.Add(Sample.Host("alpha", machines: 1));
        Data.Machines.Add(Sample.Machine("web-1"));

        var cut = Render<Hosts>();

        cut.WaitForAssertion(() =>
        {
            var caps = cut.Find("[data-host=alpha] [data-test=capabilities]").TextContent;
            Assert.Contains("hardware virtualization: yes (svm)", caps);
            Assert.Contains("nested paging: yes (npt)", caps);
            Assert.Contains("running inside a hypervisor", caps);
            Assert.Contains("KVM: not present", caps);
            Assert.Contains("container engine: podman 4.3.1", caps);
            Assert.Contains("web-1", cut.Find("[data-host=alpha] [data-test=host-machine]").TextContent);
        });
    }

    [Fact]
    public void Hosts_HostGoesOffline_StatusChangesLive()
    {
        var host = Sample.Host("alpha");
        Data.Hosts.Add(host);
        var cut = Render<Hosts>();
        cut.WaitForAssertion(() => Assert.Equal("online", cut.Find("[data-test=host-status]").TextContent));
        cut.WaitForState(() => Data.Subscribers == 1);

        Data.Publish(new HostChanged(host with { Online = false }));

        cut.WaitForAssertion(() => Assert.Equal("offline", cut.Find("[data-test=host-status]").TextContent), Live);
    }

    [Fact]
    public void Hosts_None_SaysHowToAddOne()
    {
        var cut = Render<Hosts>();

        cut.WaitForAssertion(() => Assert.Contains("run the Ringmaster agent there", cut.Find("[data-test=empty-state]").TextContent));
    }
}
