using Microsoft.AspNetCore.Components;
using Ringmaster.Web.Components.Layout;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

public sealed class LayoutTests : DashboardTestContext
{
    protected override bool RendersProviders => false;

    [Fact]
    public void MainLayout_Rendered_HasEveryPageInTheDrawerAndMarksItselfInteractive()
    {
        var cut = Render<MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b => b.AddContent(0, "page body"))));

        cut.WaitForAssertion(() =>
        {
            var links = cut.FindAll(".mud-drawer a").Select(a => a.TextContent.Trim()).ToList();
            Assert.Equal(["Overview", "Hosts", "Machines", "Catalog", "Images", "Scaling", "Schedules", "Alert rules", "Operations", "API tokens", "Users", "Projects", "Agents", "Audit"], links);
            Assert.Contains("page body", cut.Find("[data-ringmaster-ready=true]").TextContent);
        });
    }

    [Fact]
    public void MainLayout_Viewer_SeesNameAndSignOutButNoAdminPages()
    {
        Authorization.SetAuthorized("vera");
        Authorization.SetRoles("Viewer");

        var cut = Render<MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b => b.AddContent(0, "page body"))));

        cut.WaitForAssertion(() =>
        {
            var links = cut.FindAll(".mud-drawer a").Select(a => a.TextContent.Trim()).ToList();
            Assert.DoesNotContain("Audit", links);
            Assert.DoesNotContain("Agents", links);
            Assert.DoesNotContain("Users", links);
            Assert.DoesNotContain("Projects", links);
            Assert.Contains("API tokens", links);
            Assert.Equal("vera", cut.Find("[data-test=signed-in-user]").TextContent.Trim());
            Assert.Equal("/logout", cut.Find("[data-test=sign-out]").GetAttribute("href"));
        });
    }

    [Fact]
    public void MainLayout_ThemeToggle_SwitchesToDarkAndRemembersIt()
    {
        var cut = Render<MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b => b.AddContent(0, "page body"))));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-ringmaster-ready=true]")));

        cut.Find("[data-test=theme-toggle]").Click();

        cut.WaitForAssertion(() =>
        {
            var stored = Assert.Single(JSInterop.Invocations, i => i.Identifier == "localStorage.setItem");
            Assert.Equal("dark", stored.Arguments[1]);
        });
    }
}
