using Ringmaster.Contracts;
using Ringmaster.Web.Components.Shared;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

public sealed class ConsoleTests : DashboardTestContext
{
    [Fact]
    public void MachineConsole_Rendered_OpensTheMachinesConsoleSocketInTheBrowser()
    {
        var machineId = Guid.NewGuid();
        var module = JSInterop.SetupModule("./js/console.js");
        module.Mode = JSRuntimeMode.Loose;

        var cut = Render<MachineConsole>(p => p.Add(x => x.MachineId, machineId));

        cut.WaitForAssertion(() =>
        {
            var open = Assert.Single(module.Invocations, i => i.Identifier == "open");
            Assert.Equal($"/api/v1/machines/{machineId}/console", open.Arguments[1]);
        });
        Assert.NotNull(cut.Find("[data-test=console]"));
    }

    [Fact]
    public void MachineConsole_MachineStoppedThenStarted_SaysStoppedThenConnectsAgain()
    {
        var module = JSInterop.SetupModule("./js/console.js");
        module.Mode = JSRuntimeMode.Loose;

        var cut = Render<MachineConsole>(p => p
            .Add(x => x.MachineId, Guid.NewGuid())
            .Add(x => x.MachineName, "web-1")
            .Add(x => x.State, MachineState.Stopped));

        cut.WaitForAssertion(() =>
        {
            var open = Assert.Single(module.Invocations, i => i.Identifier == "open");
            Assert.Equal("web-1 is stopped: the console is disconnected and connects again when it starts.", open.Arguments[3]);
        });

        cut.Render(p => p.Add(x => x.State, MachineState.Running));
        cut.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == "started"));

        cut.Render(p => p.Add(x => x.State, MachineState.Stopped));
        cut.WaitForAssertion(() => Assert.Equal(
            "web-1 is stopped: the console is disconnected and connects again when it starts.",
            Assert.Single(JSInterop.Invocations, i => i.Identifier == "stopped").Arguments[0]));
    }

    [Fact]
    public void MachineConsole_MachineRunning_ConnectsAtOnce()
    {
        var module = JSInterop.SetupModule("./js/console.js");
        module.Mode = JSRuntimeMode.Loose;

        Render<MachineConsole>(p => p.Add(x => x.MachineId, Guid.NewGuid()).Add(x => x.State, MachineState.Running));

        Assert.Null(Assert.Single(module.Invocations, i => i.Identifier == "open").Arguments[3]);
    }
}
