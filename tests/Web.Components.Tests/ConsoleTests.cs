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
}
