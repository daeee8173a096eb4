using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

public sealed class CatalogTests : DashboardTestContext
{
    [Fact]
    public void Catalog_Launch_CreatesWithGeneratedNameShowsProgressThenLandsOnTheMachine()
    {
        Data.Templates.AddRange([Sample.Busybox, Sample.DefaultVm]);
        var machineId = Guid.NewGuid();
        var operationId = Guid.NewGuid();
        Actions.OnCreate = request => ServiceResult<OperationAccepted>.Ok(new OperationAccepted(
            Sample.Operation("machine.create", request.Name!, machineId, OperationStatus.Queued, 0, id: operationId),
            Sample.Machine(request.Name!, MachineState.Creating, id: machineId)));
        var cut = Render<Catalog>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-test=template]").Count));
        cut.WaitForState(() => Data.Subscribers == 1);

        cut.Find("[data-template=busybox] [data-test=launch]").Click();

        // The launch runs in the click's handler, which may finish after the click returns.
        cut.WaitForAssertion(() => Assert.Single(Actions.Created));
        var request = Actions.Created.Single();
        Assert.Matches("^busybox-[0-9a-f]{4}$", request.Name);
        Assert.Equal("busybox", request.Template);
        Data.Publish(new OperationChanged(Sample.Operation("machine.create", request.Name!, machineId, OperationStatus.Running, 80, id: operationId)));
        cut.WaitForAssertion(() => Assert.Contains("80 %", cut.Find("[data-test=launch-status]").TextContent), Live);

        Data.Publish(new OperationChanged(Sample.Operation("machine.create", request.Name!, machineId, OperationStatus.Succeeded, 100, id: operationId)));
        var navigation = Services.GetRequiredService<NavigationManager>();
        cut.WaitForAssertion(() => Assert.EndsWith($"/machines/{machineId}", navigation.Uri, StringComparison.Ordinal), Live);
    }

    [Fact]
    public void Catalog_LaunchFails_ShowsTheErrorInWords()
    {
        Data.Templates.Add(Sample.Busybox);
        var operationId = Guid.NewGuid();
        Actions.OnCreate = request => ServiceResult<OperationAccepted>.Ok(new OperationAccepted(
            Sample.Operation("machine.create", request.Name!, null, OperationStatus.Queued, 0, id: operationId), null));
        var cut = Render<Catalog>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-template=busybox] [data-test=launch]")));
        cut.WaitForState(() => Data.Subscribers == 1);

        cut.Find("[data-template=busybox] [data-test=launch]").Click();
        Data.Publish(new OperationChanged(Sample.Operation("machine.create", "x", null, OperationStatus.Failed, 5,
            error: "The image ringmaster/busybox:latest could not be built: busybox-static is not installed.", id: operationId)));

        cut.WaitForAssertion(() => Assert.Contains("could not be created: The image ringmaster/busybox:latest could not be built", cut.Find("[data-test=launch-error]").TextContent), Live);
    }

    [Fact]
    public void Catalog_TemplateNotAvailable_SaysWhyAndLaunchIsDisabled()
    {
        const string reason = "Containers cannot run on any online host — host-1: Podman is not installed; run `sudo bash scripts/setup-podman.sh`.";
        Data.Templates.AddRange([Sample.Busybox with { Available = false, UnavailableReason = reason }, Sample.DefaultVm]);
        var cut = Render<Catalog>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-test=template]").Count));

        Assert.Contains(reason, cut.Find("[data-template=busybox] [data-test=unavailable]").TextContent);
        Assert.True(cut.Find("[data-template=busybox] [data-test=launch]").HasAttribute("disabled"));
        Assert.Equal(reason, cut.Find("[data-template=busybox] [data-test=launch]").GetAttribute("title"));
        Assert.False(cut.Find("[data-template=default] [data-test=launch]").HasAttribute("disabled"));
        Assert.Empty(cut.FindAll("[data-template=default] [data-test=unavailable]"));
    }

    [Fact]
    public void Catalog_TemplateWhoseImageIsBuiltFirst_SaysSo()
    {
        Data.Templates.Add(Sample.DefaultVm with { Name = "debian", Image = "debian", Note = "The first launch builds image 'debian' from Debian's packages (about a minute)." });
        var cut = Render<Catalog>();

        cut.WaitForAssertion(() => Assert.Contains("builds image 'debian'", cut.Find("[data-template=debian] [data-test=template-note]").TextContent));
        Assert.False(cut.Find("[data-template=debian] [data-test=launch]").HasAttribute("disabled"));
    }

    [Fact]
    public void Catalog_CreateRefused_SaysWhy()
    {
        Data.Templates.Add(Sample.Busybox);
        Actions.OnCreate = _ => ServiceResult<OperationAccepted>.Unavailable("No online host has a container engine.");
        var cut = Render<Catalog>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=launch]")));

        cut.Find("[data-test=launch]").Click();

        cut.WaitForAssertion(() => Assert.Contains("No online host has a container engine.", cut.Find("[data-test=launch-error]").TextContent));
    }

    [Fact]
    public void Catalog_Advanced_SendsNameSpecAndLabels()
    {
        Data.Templates.Add(Sample.DefaultVm);
        Data.Hosts.Add(Sample.Host("alpha"));
        var cut = Render<Catalog>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=advanced]")));

        cut.Find("[data-test=advanced]").Click();
        cut.Find("[data-test=form-name] input, input[data-test=form-name]").Change("my-vm");
        cut.Find("[data-test=form-labels] input, input[data-test=form-labels]").Change("env=dev, team=web");
        cut.Find("[data-test=form-launch]").Click();

        // The launch runs in the click's handler, which may finish after the click returns.
        cut.WaitForAssertion(() => Assert.Single(Actions.Created));
        var request = Actions.Created.Single();
        Assert.Equal("my-vm", request.Name);
        Assert.Equal(256, request.MemoryMiB);
        Assert.Equal(new Dictionary<string, string> { ["env"] = "dev", ["team"] = "web" }, request.Labels);
    }

    [Fact]
    public void Catalog_AdvancedQemu_SendsCloudInitAndPortForwards_BadPortRefusedFirst()
    {
        Data.Templates.Add(new TemplateView("debian-12", MachineKind.Vm, "debian-12", "Debian 12 on QEMU", 1, 1024, 4, Engine: VmEngine.Qemu));
        Data.Hosts.Add(Sample.Host("alpha"));
        var cut = Render<Catalog>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=advanced]")));

        cut.Find("[data-test=advanced]").Click();
        cut.Find("[data-test=form-name] input, input[data-test=form-name]").Change("deb-1");
        cut.Find("[data-test=form-user] input, input[data-test=form-user]").Change("ops");
        cut.Find("[data-test=form-ssh-keys] textarea, textarea[data-test=form-ssh-keys]").Change("ssh-ed25519 AAAAC3Nza one@a\n\nssh-ed25519 AAAAC3Nzb two@b\n");
        cut.Find("[data-test=form-ports] input, input[data-test=form-ports]").Change("2222-22");
        cut.Find("[data-test=form-launch]").Click();
        cut.WaitForAssertion(() => Assert.Contains("'2222-22' needs the form HOST:GUEST", cut.Find("[data-test=form-error]").TextContent));
        Assert.Empty(Actions.Created);

        cut.Find("[data-test=form-ports] input, input[data-test=form-ports]").Change("2222:22, 5353:53/udp");
        cut.Find("[data-test=form-launch]").Click();
        // The launch runs in the click's handler, which may finish after the click returns.
        cut.WaitForAssertion(() => Assert.Single(Actions.Created));
        var request = Actions.Created.Single();
        Assert.Equal(("ops", null, null), (request.CloudInit!.User, request.CloudInit.Password, request.CloudInit.Hostname));
        Assert.Equal(["ssh-ed25519 AAAAC3Nza one@a", "ssh-ed25519 AAAAC3Nzb two@b"], request.CloudInit.SshKeys);
        Assert.Equal([new PortForward(2222, 22, "tcp"), new PortForward(5353, 53, "udp")], request.Ports);
    }

    [Fact]
    public async Task Catalog_AdvancedQemu_InstallFromIso_SendsTheIsoAndDiskAndNoFirstBootFields()
    {
        Data.Templates.Add(new TemplateView("x86-small", MachineKind.Vm, "x86-small", "Debian's kernel on QEMU", 1, 256, 1, Engine: VmEngine.Qemu));
        Data.Hosts.Add(Sample.Host("alpha"));
        Data.IsoImages.Add("debian-installer-12");
        var cut = Render<Catalog>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=advanced]")));

        cut.Find("[data-test=advanced]").Click();
        Assert.NotEmpty(cut.FindAll("[data-test=form-user]"));
        var select = cut.FindComponents<MudBlazor.MudSelect<string>>().Single(s => s.Instance.Label == "ISO image");
        await cut.InvokeAsync(select.Instance.OpenMenu);
        Popovers.WaitForAssertion(() => Assert.Contains(Popovers.FindAll(".mud-list-item"), i => i.TextContent.Contains("debian-installer-12", StringComparison.Ordinal)));
        Popovers.FindAll(".mud-list-item").First(i => i.TextContent.Contains("debian-installer-12", StringComparison.Ordinal)).Click();

        // Installing from an ISO: the installer sets the machine up, so there is no cloud-init seed to fill in.
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-test=form-user]")));
        cut.Find("[data-test=form-name] input, input[data-test=form-name]").Change("installed-1");
        cut.Find("[data-test=form-disk] input, input[data-test=form-disk]").Input("20");
        cut.Find("[data-test=form-launch]").Click();

        // The launch runs in the click's handler, which may finish after the click returns.
        cut.WaitForAssertion(() => Assert.Single(Actions.Created));
        var request = Actions.Created.Single();
        Assert.Equal(("installed-1", "x86-small", "debian-installer-12", 20), (request.Name, request.Template, request.Iso, request.DiskGiB));
        Assert.Null(request.CloudInit);
    }

    [Fact]
    public void Catalog_AdvancedQemu_NoIsoImported_IsoChoiceDisabledAndSaysHowToImportOne()
    {
        Data.Templates.Add(new TemplateView("x86-small", MachineKind.Vm, "x86-small", "Debian's kernel on QEMU", 1, 256, 1, Engine: VmEngine.Qemu));
        Data.Hosts.Add(Sample.Host("alpha"));
        var cut = Render<Catalog>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=advanced]")));

        cut.Find("[data-test=advanced]").Click();

        Assert.True(cut.FindComponents<MudBlazor.MudSelect<string>>().Single(s => s.Instance.Label == "ISO image").Instance.Disabled);
        Assert.Contains("No ISO imported yet", cut.Find("[data-test=advanced-form]").TextContent);
    }

    [Fact]
    public void Catalog_AdvancedEmulatorVm_OffersNoFirstBootFields()
    {
        Data.Templates.Add(Sample.DefaultVm);
        Data.Hosts.Add(Sample.Host("alpha"));
        var cut = Render<Catalog>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=advanced]")));
        cut.Find("[data-test=advanced]").Click();

        Assert.Empty(cut.FindAll("[data-test=form-ssh-keys]"));
        cut.Find("[data-test=form-launch]").Click();
        // The launch runs in the click's handler, which may finish after the click returns.
        cut.WaitForAssertion(() => Assert.Single(Actions.Created));
        var request = Actions.Created.Single();
        Assert.Null(request.CloudInit);
        Assert.Null(request.Ports);
    }

    [Theory]
    [InlineData("form-memory", "-64", "Memory must be between 64 and 262144 MiB.")]
    [InlineData("form-memory", "999999", "Memory must be between 64 and 262144 MiB.")]
    [InlineData("form-vcpus", "0", "vCPUs must be between 1 and 64.")]
    [InlineData("form-disk", "-5", "The disk must be between 1 and 4096 GiB.")]
    public void Catalog_Advanced_NumberOutOfRange_RefusedWhereTypedNotClampedAndNothingLaunched(string field, string typed, string message)
    {
        Data.Templates.Add(Sample.DefaultVm);
        Data.Hosts.Add(Sample.Host("alpha"));
        var cut = Render<Catalog>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=advanced]")));
        cut.Find("[data-test=advanced]").Click();

        cut.Find($"[data-test={field}] input, input[data-test={field}]").Input(typed);

        cut.WaitForAssertion(() => Assert.Contains(message, cut.Find("[data-test=advanced-form]").TextContent));
        Assert.Equal(typed, cut.Find($"[data-test={field}] input, input[data-test={field}]").GetAttribute("value"));
        Assert.True(cut.Find("[data-test=form-launch]").HasAttribute("disabled"));
        cut.Find("[data-test=form-launch]").Click();
        Assert.Empty(Actions.Created);
    }

    [Fact]
    public void Catalog_Advanced_MemoryBeyondTheOvercommitRatio_SaidBeforeTheClickAndNotLaunched()
    {
        Data.Templates.Add(Sample.DefaultVm);
        Data.Hosts.Add(Sample.Host("alpha"));
        Data.Machines.Add(Sample.Machine("big", kind: MachineKind.Vm) with { Spec = new MachineSpec(1, 4096, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]) });
        var cut = Render<Catalog>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=advanced]")));
        cut.Find("[data-test=advanced]").Click();
        var memory = cut.Find("[data-test=form-memory] input, input[data-test=form-memory]");

        // alpha has 8 GiB and gives 4 GiB; 1.5× lets 12 GiB be given: 6000 MiB more overcommits, 9000 more is refused.
        memory.Input("6000");
        cut.WaitForAssertion(() => Assert.Contains("alpha would give its machines 9.9 GiB of its 8 GiB: memory is overcommitted (up to 1.5× is allowed)", cut.Find("[data-test=form-memory-overcommit]").TextContent));
        Assert.False(cut.Find("[data-test=form-launch]").HasAttribute("disabled"));

        cut.Find("[data-test=form-memory] input, input[data-test=form-memory]").Input("9000");
        cut.WaitForAssertion(() => Assert.Contains("This launch will be refused: alpha has 8192 MiB of memory and its machines are given 4096 MiB; 9000 MiB more would pass the limit of 1.5× (12288 MiB",
            cut.Find("[data-test=form-memory-refused]").TextContent));
        Assert.Empty(cut.FindAll("[data-test=form-memory-overcommit]"));
        Assert.True(cut.Find("[data-test=form-launch]").HasAttribute("disabled"));
        cut.Find("[data-test=form-launch]").Click();
        Assert.Empty(Actions.Created);
    }

    [Fact]
    public void NewName_TemplateName_GetsShortSuffixAndIsValid()
    {
        var name = Catalog.NewName("Debian VM");

        Assert.Matches("^debian-vm-[0-9a-f]{4}$", name);
        Assert.True(MachineNames.IsValid(name));
    }
}
