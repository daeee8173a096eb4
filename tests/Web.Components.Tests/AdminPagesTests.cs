using AngleSharp.Dom;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Pages.Access;
using Ringmaster.Web.Components.Tests.Infrastructure;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests;

/// <summary>
/// The admin pages for users, projects and a project's quotas, on a real SQLite store: what an admin
/// sees after each change, what the audit log records, confirmations, refusals, and what non-admins get.
/// </summary>
public sealed class AdminPagesTests : AdminTestContext
{
    private static IElement Row<TPage>(IRenderedComponent<TPage> cut, string cell, string name) where TPage : IComponent =>
        cut.FindAll($"[{cell}]").Single(td => td.GetAttribute(cell) == name).ParentElement!;

    /// <summary>Opens the select labelled <paramref name="label"/> and picks <paramref name="item"/> from its list.</summary>
    private async Task PickAsync<TPage, TValue>(IRenderedComponent<TPage> cut, Func<MudSelect<TValue>, bool> which, string item) where TPage : class, IComponent
    {
        var select = cut.FindComponents<MudSelect<TValue>>().Single(s => which(s.Instance));
        await cut.InvokeAsync(select.Instance.OpenMenu);
        Popovers.WaitForAssertion(() => Assert.Contains(Popovers.FindAll(".mud-popover-open .mud-list-item"), i => i.TextContent.Trim() == item));
        Popovers.FindAll(".mud-popover-open .mud-list-item").First(i => i.TextContent.Trim() == item).Click();
    }

    [Fact]
    public void Users_AdminCreatesAUser_ItIsListedWithRoleAndProjects_AndTheAuditNamesAdminAndUser()
    {
        var cut = Render<Users>();
        cut.WaitForAssertion(() => Assert.Equal(["admin"], cut.FindAll("[data-test=user-row]").Select(td => td.TextContent.Trim())));

        cut.Find("[data-test=user-name] input, input[data-test=user-name]").Change("alice");
        cut.Find("[data-test=user-password] input, input[data-test=user-password]").Change("correct-horse");
        cut.Find("[data-test=user-create]").Click();

        cut.WaitForAssertion(() => Assert.Contains("User alice created as Viewer in default", cut.Find("[data-test=user-message]").TextContent));
        Assert.Contains("default", Row(cut, "data-user", "alice").TextContent);
        Assert.Contains("admin user.create user alice 202 role Viewer, projects default", AuditLines());
        using var db = Db();
        Assert.Equal(AccessRole.Viewer, db.Users.Single(u => u.UserName == "alice").Role);
    }

    [Fact]
    public async Task Users_ChangeRole_IsSavedSaidAndAudited()
    {
        AddUser("bob", AccessRole.Viewer, ProjectEntity.Default);
        var cut = Render<Users>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-test=user-row]").Count));

        await PickAsync<Users, AccessRole>(cut, s => s.UserAttributes.TryGetValue("aria-label", out var label) && Equals(label, "Role of bob"), "Operator");

        cut.WaitForAssertion(() => Assert.Contains("bob is now Operator.", cut.Find("[data-test=user-message]").TextContent));
        using var db = Db();
        Assert.Equal(AccessRole.Operator, db.Users.Single(u => u.UserName == "bob").Role);
        Assert.Contains("admin user.role user bob 202 role Operator", AuditLines());
    }

    [Fact]
    public async Task Users_DemotingTheLastAdmin_IsRefusedWithTheReason()
    {
        var cut = Render<Users>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-test=user-row]")));

        await PickAsync<Users, AccessRole>(cut, s => s.UserAttributes.TryGetValue("aria-label", out var label) && Equals(label, "Role of admin"), "Viewer");

        cut.WaitForAssertion(() => Assert.Contains("This is the last admin", cut.Find("[data-test=user-message]").TextContent));
        using var db = Db();
        Assert.Equal(AccessRole.Admin, db.Users.Single(u => u.UserName == "admin").Role);
    }

    [Fact]
    public void Users_ShortPassword_ShowsWhy_AndCreatesNobody()
    {
        var cut = Render<Users>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-test=user-row]")));

        cut.Find("[data-test=user-name] input, input[data-test=user-name]").Change("bob");
        cut.Find("[data-test=user-password] input, input[data-test=user-password]").Change("short");
        cut.Find("[data-test=user-create]").Click();

        cut.WaitForAssertion(() => Assert.Contains("at least 8 characters", cut.Find("[data-test=user-message]").TextContent));
        Assert.Single(cut.FindAll("[data-test=user-row]"));
        using var db = Db();
        Assert.False(db.Users.Any(u => u.UserName == "bob"));
    }

    [Fact]
    public void Users_Delete_AsksFirst_CancelKeepsTheUser_ConfirmDeletesIt()
    {
        AddUser("carol", AccessRole.Operator, ProjectEntity.Default);
        var cut = Render<Users>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-test=user-row]").Count));
        IElement Carol() => Row(cut, "data-user", "carol");

        Carol().QuerySelector("[data-test=user-delete]")!.Click();
        Dialogs.WaitForAssertion(() => Assert.Contains("carol can no longer sign in", Dialogs.Markup));
        Dialogs.FindAll("button").Single(b => b.TextContent.Contains("Cancel", StringComparison.Ordinal)).Click();
        Dialogs.WaitForAssertion(() => Assert.DoesNotContain("can no longer sign in", Dialogs.Markup));
        Assert.Equal(2, cut.FindAll("[data-test=user-row]").Count);

        Carol().QuerySelector("[data-test=user-delete]")!.Click();
        Dialogs.WaitForAssertion(() => Assert.Contains("carol can no longer sign in", Dialogs.Markup));
        Dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Delete").Click();

        cut.WaitForAssertion(() => Assert.Equal(["admin"], cut.FindAll("[data-test=user-row]").Select(td => td.TextContent.Trim())));
        Assert.Contains("User carol deleted.", cut.Find("[data-test=user-message]").TextContent);
        Assert.Contains("admin user.delete user carol 202", AuditLines());
    }

    [Fact]
    public void Users_DeletingYourself_IsRefusedWithTheReason()
    {
        var cut = Render<Users>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-test=user-row]")));

        cut.Find("[data-test=user-delete]").Click();
        Dialogs.WaitForAssertion(() => Assert.Contains("Delete user admin?", Dialogs.Markup));
        Dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Delete").Click();

        cut.WaitForAssertion(() => Assert.Contains("You cannot delete yourself.", cut.Find("[data-test=user-message]").TextContent));
        Assert.Single(cut.FindAll("[data-test=user-row]"));
    }

    [Fact]
    public void Users_Disable_AsksFirst_ThenShowsDisabled_AndEnableBringsItBack_EachAudited()
    {
        AddUser("dora", AccessRole.Viewer, ProjectEntity.Default);
        var cut = Render<Users>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-test=user-row]").Count));
        IElement Dora() => Row(cut, "data-user", "dora");
        Assert.Null(Dora().QuerySelector("[data-test=user-disabled]"));

        Dora().QuerySelector("[data-test=user-disable]")!.Click();
        Dialogs.WaitForAssertion(() => Assert.Contains("Disable user dora?", Dialogs.Markup));
        Dialogs.FindAll("button").Single(b => b.TextContent.Contains("Cancel", StringComparison.Ordinal)).Click();
        Dialogs.WaitForAssertion(() => Assert.DoesNotContain("Disable user dora?", Dialogs.Markup));
        Assert.Null(Dora().QuerySelector("[data-test=user-disabled]"));

        Dora().QuerySelector("[data-test=user-disable]")!.Click();
        Dialogs.WaitForAssertion(() => Assert.Contains("dora can no longer sign in", Dialogs.Markup));
        Dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Disable").Click();

        cut.WaitForAssertion(() => Assert.Equal("disabled", Dora().QuerySelector("[data-test=user-disabled]")?.TextContent.Trim()));
        Assert.Contains("User dora disabled.", cut.Find("[data-test=user-message]").TextContent);
        Assert.Null(Dora().QuerySelector("[data-test=user-disable]"));
        using (var db = Db())
        {
            Assert.NotNull(db.Users.Single(u => u.UserName == "dora").DisabledAt);
        }

        Dora().QuerySelector("[data-test=user-enable]")!.Click();

        cut.WaitForAssertion(() => Assert.Contains("User dora enabled.", cut.Find("[data-test=user-message]").TextContent));
        Assert.Null(Dora().QuerySelector("[data-test=user-disabled]"));
        Assert.NotNull(Dora().QuerySelector("[data-test=user-disable]"));
        using (var db = Db())
        {
            Assert.Null(db.Users.Single(u => u.UserName == "dora").DisabledAt);
        }

        Assert.Contains("admin user.disable user dora 202", AuditLines());
        Assert.Contains("admin user.enable user dora 202", AuditLines());
    }

    [Fact]
    public void Users_DisablingYourself_IsRefusedWithTheReason_AndYouStayEnabled()
    {
        var cut = Render<Users>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-test=user-row]")));

        cut.Find("[data-test=user-disable]").Click();
        Dialogs.WaitForAssertion(() => Assert.Contains("Disable user admin?", Dialogs.Markup));
        Dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Disable").Click();

        cut.WaitForAssertion(() => Assert.Contains("You cannot disable yourself.", cut.Find("[data-test=user-message]").TextContent));
        Assert.Empty(cut.FindAll("[data-test=user-disabled]"));
        Assert.Contains("admin user.disable user admin 409 You cannot disable yourself.", AuditLines());
    }

    [Fact]
    public void Projects_AdminCreatesAProject_ItIsListedWithMembersAndUsage()
    {
        AddUser("dave", AccessRole.Operator);
        AddProject("web", maxVcpus: 8, members: "dave");
        var cut = Render<Projects>();
        cut.WaitForAssertion(() => Assert.Contains("dave", Row(cut, "data-project", "web").QuerySelector("[data-test=project-members]")!.TextContent));
        Assert.Contains("0 of 8 vCPUs", Row(cut, "data-project", "web").QuerySelector("[data-test=project-usage]")!.TextContent);

        cut.Find("[data-test=project-name] input, input[data-test=project-name]").Change("batch");
        cut.Find("[data-test=project-description] input, input[data-test=project-description]").Change("Nightly jobs");
        cut.Find("[data-test=project-create]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Project batch created", cut.Find("[data-test=project-message]").TextContent));
        var row = Row(cut, "data-project", "batch");
        Assert.Contains("Nightly jobs", row.TextContent);
        Assert.Equal("none", row.QuerySelector("[data-test=project-members]")!.TextContent.Trim());
        Assert.Contains("admin project.create project batch 202", AuditLines());
    }

    [Fact]
    public void Projects_BadName_ShowsTheRule_AndCreatesNothing()
    {
        var cut = Render<Projects>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-test=project-row]")));

        cut.Find("[data-test=project-name] input, input[data-test=project-name]").Change("Not A Name!");
        cut.Find("[data-test=project-create]").Click();

        cut.WaitForAssertion(() => Assert.Contains("The name must be", cut.Find("[data-test=project-message]").TextContent));
        Assert.Single(cut.FindAll("[data-test=project-row]"));
        using var db = Db();
        Assert.Equal(1, db.Projects.Count());
    }

    [Fact]
    public void Projects_Delete_AsksForConfirmation_ThenTheProjectIsGone()
    {
        AddProject("old");
        var cut = Render<Projects>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-test=project-row]").Count));

        Row(cut, "data-project", "old").QuerySelector("[data-test=project-delete]")!.Click();
        Dialogs.WaitForAssertion(() => Assert.Contains("Delete project old?", Dialogs.Markup));
        using (var db = Db())
        {
            Assert.True(db.Projects.Any(p => p.Name == "old"));
        }

        Dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Delete").Click();

        cut.WaitForAssertion(() => Assert.Equal([ProjectEntity.Default], cut.FindAll("[data-project]").Select(td => td.GetAttribute("data-project"))));
        Assert.Contains("Project old deleted.", cut.Find("[data-test=project-message]").TextContent);
        Assert.Contains("admin project.delete project old 202", AuditLines());
    }

    [Fact]
    public void ProjectQuotas_NegativeOrTextValue_ShowsTheRule_AndSavesNothing_ThenAValidValueIsSavedAndAudited()
    {
        AddProject("web", maxVcpus: 8);
        var cut = Render<ProjectDetail>(p => p.Add(x => x.Name, "web"));
        cut.WaitForAssertion(() => Assert.Contains("0 of 8", cut.Find("[data-quota=vcpus] [data-test=usage-value]").TextContent));
        Assert.Contains("0, no quota", cut.Find("[data-quota=machines] [data-test=usage-value]").TextContent);

        cut.Find("[data-test=quota-vcpus] input, input[data-test=quota-vcpus]").Input("-4");
        cut.WaitForAssertion(() => Assert.Contains(ProjectDetail.QuotaRule, cut.Find("[data-quota=vcpus]").TextContent));
        Assert.True(cut.Find("[data-test=quota-save]").HasAttribute("disabled"));

        cut.Find("[data-test=quota-machines] input, input[data-test=quota-machines]").Input("ten");
        cut.WaitForAssertion(() => Assert.Contains(ProjectDetail.QuotaRule, cut.Find("[data-quota=machines]").TextContent));
        Assert.True(cut.Find("[data-test=quota-save]").HasAttribute("disabled"));
        using (var db = Db())
        {
            var web = db.Projects.Single(p => p.Name == "web");
            Assert.Equal(8, web.MaxVcpus);
            Assert.Null(web.MaxMachines);
        }

        Assert.DoesNotContain(AuditLines(), l => l.Contains("project.quotas", StringComparison.Ordinal));

        cut.Find("[data-test=quota-vcpus] input, input[data-test=quota-vcpus]").Input("4");
        cut.Find("[data-test=quota-machines] input, input[data-test=quota-machines]").Input("10");
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-test=quota-save]").HasAttribute("disabled")));
        cut.Find("[data-test=quota-save]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Quotas of web saved.", cut.Find("[data-test=project-message]").TextContent));
        Assert.Contains("0 of 4", cut.Find("[data-quota=vcpus] [data-test=usage-value]").TextContent);
        using (var db = Db())
        {
            var web = db.Projects.Single(p => p.Name == "web");
            Assert.Equal(4, web.MaxVcpus);
            Assert.Equal(10, web.MaxMachines);
        }

        Assert.Contains("admin project.quotas project web 202 vCPUs 4, memory none, disk none, networks none, machines 10", AuditLines());
    }

    [Fact]
    public async Task ProjectMembers_AddAndRemove_TheListFollows_AndEachIsAudited()
    {
        AddUser("erin", AccessRole.Viewer);
        AddProject("web");
        var cut = Render<ProjectDetail>(p => p.Add(x => x.Name, "web"));
        cut.WaitForAssertion(() => Assert.Contains("No members yet", cut.Find("[data-test=member-panel]").TextContent));

        await PickAsync<ProjectDetail, string>(cut, s => s.Label == "Add a user", "erin");
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-test=member-add]").HasAttribute("disabled")));
        cut.Find("[data-test=member-add]").Click();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-member=erin]")));
        Assert.Contains("erin is now a member of web.", cut.Find("[data-test=project-message]").TextContent);

        cut.Find("[data-member=erin] [data-test=member-remove]").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-member=erin]")));
        Assert.Contains("admin project.member.add project web 202 user erin", AuditLines());
        Assert.Contains("admin project.member.remove project web 202 user erin", AuditLines());
    }

    [Fact]
    public async Task NonAdmin_GetsAdminsOnly_OnEveryPage_AndTheActionsAreRefused()
    {
        AddProject("web", maxVcpus: 8);
        SignIn("olga", AccessRole.Operator);

        var users = Render<Users>();
        var projects = Render<Projects>();
        var project = Render<ProjectDetail>(p => p.Add(x => x.Name, "web"));

        Assert.All(new[] { users.Markup, projects.Markup, project.Markup }, markup => Assert.Contains("Admins only", markup));
        Assert.Empty(users.FindAll("[data-test=user-form], [data-test=user-row]"));
        Assert.Empty(projects.FindAll("[data-test=project-form], [data-test=project-row]"));
        Assert.Empty(project.FindAll("[data-test=quota-form], [data-test=member-panel]"));

        var admin = Services.GetRequiredService<AccessAdmin>();
        var refused = await admin.CreateUserAsync(new CreateUserRequest("mallory", "long-enough", AccessRole.Admin));
        Assert.Equal(ResultKind.Conflict, refused.Kind);
        Assert.Contains("only admins may", refused.Message);
        Assert.Empty(await admin.UsersAsync());
        using var db = Db();
        Assert.False(db.Users.Any(u => u.UserName == "mallory"));
        Assert.Contains("olga user.create user mallory 403", string.Join("\n", AuditLines()));
    }
}
