using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

/// <summary>The Edit action of the machine page: name, labels, vCPUs, memory and disk, and when each applies.</summary>
public sealed class MachineEditTests : DashboardTestContext
{
    private IRenderedComponent<MachineDetail> OpenEditDialog(MachineView machine)
    {
        Data.Hosts.Add(Sample.Host("alpha", machines: 1));
        Data.Machines.Add(machine);
        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-test=action-edit]").HasAttribute("disabled")));
        cut.Find("[data-test=action-edit]").Click();
        Dialogs.WaitForAssertion(() => Assert.NotNull(Dialogs.Find("[data-test=edit-dialog]")));
        return cut;
    }

    private AngleSharp.Dom.IElement Field(string name) => Dialogs.Find($"[data-test={name}] input, input[data-test={name}]");

    private static ServiceResult<MachineUpdated> Saved(MachineView before, MachinePatch patch, string? detail = null) =>
        ServiceResult<MachineUpdated>.Ok(new MachineUpdated(before with
        {
            Name = patch.Name ?? before.Name,
            Spec = before.Spec with { Vcpus = patch.Vcpus ?? before.Spec.Vcpus, MemoryMiB = patch.MemoryMiB ?? before.Spec.MemoryMiB },
            Labels = patch.Labels is { } labels ? labels.ToDictionary(l => l.Key, l => l.Value!) : before.Labels,
            Version = before.Version + 1,
            UpdatedAt = DateTimeOffset.UtcNow,
        }, Detail: detail));

    [Fact]
    public void Edit_RunningContainer_NameLabelsAndMemory_SaysTheyApplyAtOnceAndSendsOnlyWhatChanged()
    {
        var machine = Sample.Machine("box-1", MachineState.Running, MachineKind.Container) with { Version = 7 };
        Actions.OnUpdate = (_, _, patch) => Saved(machine, patch);
        var cut = OpenEditDialog(machine);

        // The form starts from the machine as it is.
        Assert.Equal("box-1", Field("edit-name").GetAttribute("value"));
        Assert.Equal("env=dev", Field("edit-labels").GetAttribute("value"));
        Assert.True(Dialogs.Find("[data-test=edit-save]").HasAttribute("disabled"));

        Field("edit-name").Input("box-2");
        Field("edit-labels").Input("env=prod, team=web");
        Field("edit-memory").Input("128");

        Dialogs.WaitForAssertion(() =>
        {
            var applies = Dialogs.Find("[data-test=edit-applies]").TextContent;
            Assert.Contains("The name and labels change at once.", applies);
            Assert.Contains("The new vCPU and memory limits apply to the running container at once.", applies);
            Assert.False(Dialogs.Find("[data-test=edit-save]").HasAttribute("disabled"));
        });
        Dialogs.Find("[data-test=edit-save]").Click();

        cut.WaitForAssertion(() => Assert.Equal("box-2", cut.Find("[data-test=machine-title]").TextContent));
        var (id, version, sent) = Assert.Single(Actions.Updates);
        Assert.Equal(machine.Id, id);
        Assert.Equal(7, version);
        Assert.Equal("box-2", sent.Name);
        Assert.Equal(128, sent.MemoryMiB);
        Assert.Null(sent.Vcpus);
        Assert.Null(sent.DiskGiB);
        Assert.True(sent.ClearLabels);
        Assert.Equal(new Dictionary<string, string?> { ["env"] = "prod", ["team"] = "web" }, sent.Labels);
        Snackbars.WaitForAssertion(() => Assert.Contains("Saved box-2.", Snackbars.Markup));
        Assert.Empty(Dialogs.FindAll("[data-test=edit-dialog]"));
    }

    [Fact]
    public void Edit_RunningVm_VcpusWaitForTheNextStart_DiskNeedsAStopFirst()
    {
        var machine = Sample.Machine("vm-1", MachineState.Running, MachineKind.Vm);
        Actions.OnUpdate = (_, _, patch) => Saved(machine, patch, MachineUpdateService.VmNextStartDetail);
        OpenEditDialog(machine);

        Field("edit-vcpus").Input("2");
        Dialogs.WaitForAssertion(() => Assert.Contains("The new vCPUs and memory take effect at the VM's next start.", Dialogs.Find("[data-test=edit-applies]").TextContent));

        Field("edit-disk").Input("5");
        Dialogs.WaitForAssertion(() =>
        {
            Assert.Contains("Stop vm-1 to grow its disk", Dialogs.Find("[data-test=edit-blocked]").TextContent);
            Assert.True(Dialogs.Find("[data-test=edit-save]").HasAttribute("disabled"));
        });
        Dialogs.Find("[data-test=edit-save]").Click();
        Assert.Empty(Actions.Updates);

        Field("edit-disk").Input("1");
        Dialogs.WaitForAssertion(() => Assert.False(Dialogs.Find("[data-test=edit-save]").HasAttribute("disabled")));
        Dialogs.Find("[data-test=edit-save]").Click();
        Snackbars.WaitForAssertion(() => Assert.Contains("Saved vm-1. The new vCPUs and memory take effect at the VM's next start.", Snackbars.Markup));
        Assert.Equal(2, Assert.Single(Actions.Updates).Patch.Vcpus);
    }

    [Theory]
    [InlineData("edit-memory", "-64", "Memory must be between 16 and 262144 MiB.")]
    [InlineData("edit-vcpus", "0", "vCPUs must be between 1 and 64.")]
    [InlineData("edit-disk", "0", "The disk must be between 1 and 4096 GiB.")]
    [InlineData("edit-name", "Bad Name!", "The name must be")]
    [InlineData("edit-labels", "env", "The label 'env' needs the form key=value.")]
    public void Edit_InvalidValue_RefusedWhereTypedAndNothingSent(string field, string typed, string message)
    {
        var machine = Sample.Machine("box-1", MachineState.Stopped, MachineKind.Container) with { Spec = new MachineSpec(1, 64, [new DiskSpec("root", 2)], [new NetworkSpec("eth0")]) };
        OpenEditDialog(machine);

        Field(field).Input(typed);

        Dialogs.WaitForAssertion(() =>
        {
            Assert.Contains(message, Dialogs.Markup);
            Assert.True(Dialogs.Find("[data-test=edit-save]").HasAttribute("disabled"));
        });
        Dialogs.Find("[data-test=edit-save]").Click();
        Assert.Empty(Actions.Updates);
    }

    [Fact]
    public void Edit_DiskSmallerThanItIs_RefusedWhereTyped()
    {
        var machine = Sample.Machine("box-1", MachineState.Stopped, MachineKind.Container) with { Spec = new MachineSpec(1, 64, [new DiskSpec("root", 4)], [new NetworkSpec("eth0")]) };
        OpenEditDialog(machine);

        Field("edit-disk").Input("3");

        Dialogs.WaitForAssertion(() => Assert.Contains("A disk can grow but not shrink; it is 4 GiB.", Dialogs.Markup));
        Assert.True(Dialogs.Find("[data-test=edit-save]").HasAttribute("disabled"));
    }

    [Fact]
    public void Edit_ServerRefuses_SaysWhyAndKeepsTheFormAsTyped()
    {
        var machine = Sample.Machine("box-1", MachineState.Running, MachineKind.Container);
        Actions.OnUpdate = (_, _, _) => ServiceResult<MachineUpdated>.Conflict("A machine named 'box-9' already exists.");
        var cut = OpenEditDialog(machine);

        Field("edit-name").Input("box-9");
        Dialogs.WaitForAssertion(() => Assert.False(Dialogs.Find("[data-test=edit-save]").HasAttribute("disabled")));
        Dialogs.Find("[data-test=edit-save]").Click();

        Dialogs.WaitForAssertion(() => Assert.Contains("A machine named 'box-9' already exists.", Dialogs.Find("[data-test=edit-error]").TextContent));
        Assert.Equal("box-9", Field("edit-name").GetAttribute("value"));
        Assert.Equal("box-1", cut.Find("[data-test=machine-title]").TextContent);
    }

    [Fact]
    public void Edit_MachineBeingMigrated_CannotBeOpened()
    {
        var machine = Sample.Machine("box-1", MachineState.Migrating, MachineKind.Container);
        Data.Hosts.Add(Sample.Host("alpha", machines: 1));
        Data.Machines.Add(machine);

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));

        cut.WaitForAssertion(() => Assert.True(cut.Find("[data-test=action-edit]").HasAttribute("disabled")));
    }
}
