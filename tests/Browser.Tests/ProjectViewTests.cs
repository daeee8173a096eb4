using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using static Microsoft.Playwright.Assertions;

namespace Ringmaster.Browser.Tests;

/// <summary>A Viewer of one project signed in to the dashboard sees that project's machines only, and no admin pages.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ProjectViewTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Machines_ViewerOfOneProject_SeesOnlyItsMachines()
    {
        var services = fixture.App.Services;
        var dbFactory = services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        string[] names = [$"team-vm-{suffix}", $"other-vm-{suffix}"];
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            db.Projects.Add(new ProjectEntity { Name = $"team-{suffix}", CreatedAt = DateTime.UtcNow });
            AddMachine(db, names[0], $"team-{suffix}");
            AddMachine(db, names[1], ProjectEntity.Default);
            await db.SaveChangesAsync();
        }

        await using (var scope = services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<UserEntity>>();
            var viewer = new UserEntity { UserName = $"viewer-{suffix}", Role = AccessRole.Viewer, CreatedAt = DateTime.UtcNow };
            Assert.True((await users.CreateAsync(viewer, "viewer-password")).Succeeded);
            await using var db = await dbFactory.CreateDbContextAsync();
            db.ProjectMembers.Add(new ProjectMemberEntity { Project = $"team-{suffix}", UserId = viewer.Id });
            await db.SaveChangesAsync();
        }

        try
        {
            await using var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
            var page = await context.NewPageAsync();
            page.SetDefaultTimeout(30_000);
            await page.GotoAsync(new Uri(fixture.App.Address, "/login?ReturnUrl=%2Fmachines").ToString());
            await page.GetByTestId("login-user").FillAsync($"viewer-{suffix}");
            await page.GetByTestId("login-password").FillAsync("viewer-password");
            await page.GetByTestId("login-submit").ClickAsync();
            await RingmasterApp.WaitInteractiveAsync(page);

            await page.Locator("input[data-test=filter-name], [data-test=filter-name] input").First.FillAsync($"-vm-{suffix}");
            await Expect(page.GetByTestId("machine-name")).ToHaveTextAsync([names[0]]);
            await Expect(page.Locator(".mud-drawer a", new() { HasText = "Audit" })).ToHaveCountAsync(0);
            await BrowserFixture.ScreenshotAsync(page, "machines-viewer-one-project");
        }
        finally
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            await db.Machines.Where(m => names.Contains(m.Name)).ExecuteDeleteAsync();
        }
    }

    private static void AddMachine(RingmasterDbContext db, string name, string project) => db.Machines.Add(new MachineEntity
    {
        Id = Guid.NewGuid(),
        Name = name,
        Project = project,
        Kind = MachineKind.Container,
        Template = "busybox",
        Image = "ringmaster/busybox:latest",
        Spec = new MachineSpec(1, 64, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]),
        State = MachineState.Stopped,
        CreatedAt = DateTime.UtcNow,
        UpdatedAt = DateTime.UtcNow,
    });
}
