using Microsoft.JSInterop;
using Ringmaster.Web.Components.Shared;
using Ringmaster.Web.Components.Tests.Infrastructure;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests;

/// <summary>A QEMU VM's graphical console when noVNC cannot be loaded: why, and a Retry when one can help.</summary>
public sealed class MachineDisplayTests : DashboardTestContext
{
    private const string ImportFailed = "Failed to fetch dynamically imported module: http://localhost/lib/novnc/core/rfb.js";

    [Fact]
    public void MachineDisplay_NoVncBuiltInButItsImportFails_SaysSo_AndRetryLoadsItAtANewAddressThenOpens()
    {
        WebRoot.Add(ClientLibraries.NoVncModule);
        var machineId = Guid.NewGuid();
        var module = JSInterop.SetupModule("./js/vnc.js");
        // As Blazor reports a script error: the message, then the browser's stack.
        module.SetupVoid("load", 1).SetException(new JSException(ImportFailed + "\nTypeError: " + ImportFailed + "\n    at vnc.js:12"));
        module.SetupVoid("load", 2).SetVoidResult();
        module.Mode = JSRuntimeMode.Loose;

        var cut = Render<MachineDisplay>(p => p.Add(x => x.MachineId, machineId));

        cut.WaitForAssertion(() => Assert.Contains($"The display viewer (noVNC) could not be loaded: {ImportFailed}. Its files are on the server", cut.Find("[data-test=display-failed]").TextContent));
        Assert.Contains("Retry loads them again", cut.Find("[data-test=display-failed]").TextContent);
        Assert.DoesNotContain("not built in", cut.Find("[data-test=display-failed]").TextContent);
        Assert.DoesNotContain(module.Invocations, i => i.Identifier == "open");

        cut.Find("[data-test=display-retry]").Click();

        // The second attempt (its own ?retry=2 address in vnc.js) loads, and the display opens.
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-test=display-failed]")));
        Assert.Equal([1, 2], module.Invocations.Where(i => i.Identifier == "load").Select(i => (int)i.Arguments[0]!));
        var open = Assert.Single(module.Invocations, i => i.Identifier == "open");
        Assert.Equal($"/api/v1/machines/{machineId}/vnc", open.Arguments[1]);
    }

    [Fact]
    public void MachineDisplay_NoVncNotBuiltIn_SaysSoWithoutARetry()
    {
        var module = JSInterop.SetupModule("./js/vnc.js");
        module.SetupVoid("load", 1).SetException(new JSException(ImportFailed));
        module.Mode = JSRuntimeMode.Loose;

        var cut = Render<MachineDisplay>(p => p.Add(x => x.MachineId, Guid.NewGuid()));

        cut.WaitForAssertion(() => Assert.StartsWith("noVNC is not built in (npm was missing when the web was built)", cut.Find("[data-test=display-failed]").TextContent.Trim()));
        Assert.Empty(cut.FindAll("[data-test=display-retry]"));
        Assert.DoesNotContain(module.Invocations, i => i.Identifier == "open");
    }
}
