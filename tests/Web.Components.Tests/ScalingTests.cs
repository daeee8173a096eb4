using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Tests.Infrastructure;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests;

public sealed class ScalingTests : DashboardTestContext
{
    private readonly FakeScalingData _scaling = new();

    public ScalingTests()
    {
        Services.AddSingleton<IScalingData>(_scaling);
    }

    [Fact]
    public void Scaling_Groups_ShowCountsStatusWhyShortAndChart()
    {
        var web = FakeScalingData.Group("web", running: 2, desired: 3, status: "short", detail: "2 of 3 running; 1 provision attempt(s) failed, the last: No online host has a container engine.");
        _scaling.Groups.Add(web);
        _scaling.SamplesByGroup[web.Id] = [new(DateTimeOffset.UtcNow.AddSeconds(-10), 3, 1, 40), new(DateTimeOffset.UtcNow.AddSeconds(-5), 3, 2, 55)];

        var cut = Render<ScalingGroups>();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("2 running of 3 desired (min 0, max 3)", cut.Find("[data-group=web] [data-test=group-counts]").TextContent);
            Assert.Equal("short", cut.Find("[data-group=web] [data-test=group-status]").TextContent);
            Assert.Contains("No online host has a container engine", cut.Find("[data-group=web] [data-test=group-detail]").TextContent);
            Assert.NotNull(cut.Find("[data-group=web] [data-test=scaling-chart] svg"));
        });
    }

    [Fact]
    public void Scaling_MembersStart_CountsMoveWithoutReload()
    {
        _scaling.RefreshInterval = TimeSpan.FromMilliseconds(100);
        var web = FakeScalingData.Group("web", running: 0, desired: 2, status: "scaling");
        _scaling.Groups.Add(web);
        var cut = Render<ScalingGroups>();
        cut.WaitForAssertion(() => Assert.StartsWith("0 running", cut.Find("[data-test=group-counts]").TextContent));

        _scaling.Groups[0] = web with { Running = 2, Status = "stable" };

        cut.WaitForAssertion(() =>
        {
            Assert.StartsWith("2 running of 2", cut.Find("[data-test=group-counts]").TextContent);
            Assert.Equal("stable", cut.Find("[data-test=group-status]").TextContent);
        }, Live);
    }

    [Fact]
    public void Scaling_None_SaysWhatAGroupIs()
    {
        var cut = Render<ScalingGroups>();

        cut.WaitForAssertion(() => Assert.Contains("keeps N identical machines", cut.Find("[data-test=empty-state]").TextContent));
    }

    [Fact]
    public async Task Scaling_CreateRefused_ProblemShownNothingLost()
    {
        var cut = Render<ScalingGroups>();
        cut.WaitForAssertion(() => cut.Find("[data-test=create]"));
        await cut.Find("[data-test=new-name] input, input[data-test=new-name]").ChangeAsync(new() { Value = "api" });
        await cut.Find("[data-test=new-min] input, input[data-test=new-min]").ChangeAsync(new() { Value = "5" });

        await cut.Find("[data-test=create]").ClickAsync(new());

        cut.WaitForAssertion(() => Assert.Contains("must not be below min", cut.Find("[data-test=problems]").TextContent));
        Assert.Equal("api", cut.Find("[data-test=new-name] input, input[data-test=new-name]").GetAttribute("value"));
        Assert.Contains("create api", _scaling.Calls);
    }
}

public sealed class ScalingGroupDetailTests : DashboardTestContext
{
    private readonly FakeScalingData _scaling = new();
    private readonly ScalingGroupView _group;

    public ScalingGroupDetailTests()
    {
        Services.AddSingleton<IScalingData>(_scaling);
        _group = FakeScalingData.Group("web", running: 1, desired: 1, max: 5, lastError: "Script 'spin' v1: Stopped: it ran longer than its time limit of 1 s.",
            history: [FakeScalingData.Decision("policy", "busy", 1, 2, "cpu 85 > 70 for 60 s → add 1."), FakeScalingData.Decision("script", "spin", 2, 2, "Script 'spin' v1: Stopped: time limit", 1)]);
        _scaling.Groups.Add(_group);
    }

    [Fact]
    public void Detail_ShowsErrorPoliciesAndHistory()
    {
        _scaling.Policies.Add(new ScalingPolicyView(Guid.NewGuid(), "busy", "metric", true, "cpu", "above", 70, 60, 1, null, null, 0, null, "cpu above 70 for 60 s → add 1"));

        var cut = Render<ScalingGroupDetail>(p => p.Add(x => x.Name, "web"));

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("time limit of 1 s", cut.Find("[data-test=group-error]").TextContent);
            Assert.Contains("cpu above 70 for 60 s → add 1", cut.Find("[data-test=policy]").TextContent);
            var rows = cut.FindAll("[data-test=decision]");
            Assert.Equal(2, rows.Count);
            Assert.Contains("policy busy", rows[0].TextContent);
            Assert.Contains("1 → 2", rows[0].TextContent);
            Assert.Contains("script spin v1", rows[1].TextContent);
        });
    }

    [Fact]
    public async Task Editor_SyntaxError_ShownWithLineAndSaveDisabled()
    {
        var cut = Render<ScalingGroupDetail>(p => p.Add(x => x.Name, "web"));
        cut.WaitForAssertion(() => Assert.Equal("Syntax OK.", cut.Find("[data-test=script-syntax]").TextContent));

        await cut.Find("[data-test=script-source] textarea, textarea[data-test=script-source]").InputAsync(new() { Value = "scaleTo(\n  2 +;" });

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("Syntax error at line 2", cut.Find("[data-test=script-syntax]").TextContent);
            Assert.True(cut.Find("[data-test=save-script]").HasAttribute("disabled"));
            Assert.True(cut.Find("[data-test=dry-run]").HasAttribute("disabled"));
        });
        Assert.DoesNotContain(_scaling.Calls, c => c.StartsWith("save", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Editor_DryRun_ShowsWhatItWouldDo()
    {
        _scaling.OnDryRun = _ => new ScriptRunView(1, 3, 3, ["cpu 91"], JsonSerializer.SerializeToElement(new Dictionary<string, double> { ["cpu[60s]"] = 91 }), null, 2.5);
        var cut = Render<ScalingGroupDetail>(p => p.Add(x => x.Name, "web"));
        cut.WaitForAssertion(() => cut.Find("[data-test=dry-run]"));
        await cut.Find("[data-test=script-source] textarea, textarea[data-test=script-source]").InputAsync(new() { Value = "scaleTo(3); log('cpu', 91);" });

        await cut.Find("[data-test=dry-run]").ClickAsync(new());

        cut.WaitForAssertion(() =>
        {
            var result = cut.Find("[data-test=dry-run-result]").TextContent;
            Assert.Contains("would change desired from 1 to 3", result);
            Assert.Contains("cpu 91", result);
            Assert.Contains("cpu[60s]", result);
        });
        Assert.Contains("dry-run", _scaling.Calls);
    }

    [Fact]
    public async Task Editor_SaveTwiceThenRollBack_VersionsListed()
    {
        var cut = Render<ScalingGroupDetail>(p => p.Add(x => x.Name, "web"));
        cut.WaitForAssertion(() => cut.Find("[data-test=script-name]"));
        await cut.Find("[data-test=script-name] input, input[data-test=script-name]").ChangeAsync(new() { Value = "sizer" });
        await cut.Find("[data-test=script-source] textarea, textarea[data-test=script-source]").InputAsync(new() { Value = "scaleTo(1);" });
        await cut.Find("[data-test=save-script]").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-test=script-version]")));
        await cut.Find("[data-test=script-source] textarea, textarea[data-test=script-source]").InputAsync(new() { Value = "scaleTo(2);" });
        await cut.Find("[data-test=save-script]").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-test=script-version]").Count));

        await cut.Find("[data-test=rollback]").ClickAsync(new());

        cut.WaitForAssertion(() =>
        {
            var versions = cut.FindAll("[data-test=script-version]");
            Assert.Equal(3, versions.Count);
            Assert.Contains("rollback to version 1", versions[0].TextContent);
            Assert.Equal("scaleTo(1);", cut.Find("[data-test=script-source] textarea, textarea[data-test=script-source]").GetAttribute("value") ?? cut.Find("[data-test=script-source] textarea, textarea[data-test=script-source]").TextContent);
        });
        Assert.Contains("rollback 1", _scaling.Calls);
    }

    [Fact]
    public async Task Counts_GroupChangesDesired_FormFollowsUnlessTheUserIsEditing()
    {
        _scaling.RefreshInterval = TimeSpan.FromMilliseconds(100);
        var cut = Render<ScalingGroupDetail>(p => p.Add(x => x.Name, "web"));
        cut.WaitForAssertion(() => Assert.Equal("1", cut.Find("[data-test=desired] input, input[data-test=desired]").GetAttribute("value")));

        // A script sets desired to 3: the form shows it, so Apply would not undo it.
        _scaling.Groups[0] = _group with { Desired = 3 };
        cut.WaitForAssertion(() => Assert.Equal("3", cut.Find("[data-test=desired] input, input[data-test=desired]").GetAttribute("value")), Live);

        // The user types 4; the group moves to 2 meanwhile: what was typed stays, and the change is said.
        await cut.Find("[data-test=desired] input, input[data-test=desired]").ChangeAsync(new() { Value = "4" });
        _scaling.Groups[0] = _group with { Desired = 2 };
        cut.WaitForAssertion(() => Assert.Contains("the group changed to min 0, desired 2, max 5", cut.Find("[data-test=counts-changed]").TextContent), Live);
        Assert.Equal("4", cut.Find("[data-test=desired] input, input[data-test=desired]").GetAttribute("value"));

        await cut.Find("[data-test=discard-counts]").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Equal("2", cut.Find("[data-test=desired] input, input[data-test=desired]").GetAttribute("value")));
        Assert.Empty(cut.FindAll("[data-test=counts-changed]"));
    }

    [Fact]
    public async Task Counts_Refused_ProblemShown()
    {
        _scaling.OnUpdate = _ => Core.Services.ServiceResult<ScalingGroupView>.Invalid("desired", "desired (9) must be between min (0) and max (5).");
        var cut = Render<ScalingGroupDetail>(p => p.Add(x => x.Name, "web"));
        cut.WaitForAssertion(() => cut.Find("[data-test=save-counts]"));
        await cut.Find("[data-test=desired] input, input[data-test=desired]").ChangeAsync(new() { Value = "9" });

        await cut.Find("[data-test=save-counts]").ClickAsync(new());

        cut.WaitForAssertion(() => Assert.Contains("must be between min (0) and max (5)", cut.Find("[data-test=count-problems]").TextContent));
        Assert.Contains("update 0 9 5", _scaling.Calls);
    }

    [Fact]
    public async Task DeleteGroup_Confirmed_DialogNamesItThenTheDeleteIsFollowed()
    {
        var cut = Render<ScalingGroupDetail>(p => p.Add(x => x.Name, "web"));
        cut.WaitForAssertion(() => cut.Find("[data-test=delete-group]"));

        var asking = cut.Find("[data-test=delete-group]").ClickAsync(new()); // its handler waits for the dialog's answer

        Dialogs.WaitForAssertion(() =>
        {
            Assert.Contains("Delete scaling group web?", Dialogs.Markup);
            Assert.Contains("Its 1 member machine(s) are deleted first", Dialogs.Markup);
        });
        await Dialogs.FindAll("button").Single(b => b.TextContent.Contains("Delete", StringComparison.Ordinal)).ClickAsync(new());
        await asking.WaitAsync(TimeSpan.FromSeconds(30));
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("Deleting scaling group web and its 1 member(s).", cut.Find("[data-test=group-message]").TextContent);
            Assert.StartsWith("/operations/", cut.Find("[data-test=group-message-operation]").GetAttribute("href"));
            Assert.Equal("deleting", cut.Find("[data-test=group-status]").TextContent);
            Assert.True(cut.Find("[data-test=delete-group]").HasAttribute("disabled"));
        });
        Assert.Contains("delete web", _scaling.Calls);
    }

    [Fact]
    public async Task DeleteGroup_Cancelled_NothingDeleted()
    {
        var cut = Render<ScalingGroupDetail>(p => p.Add(x => x.Name, "web"));
        cut.WaitForAssertion(() => cut.Find("[data-test=delete-group]"));

        var asking = cut.Find("[data-test=delete-group]").ClickAsync(new()); // its handler waits for the dialog's answer
        Dialogs.WaitForAssertion(() => Assert.Contains("Delete scaling group web?", Dialogs.Markup));
        await Dialogs.FindAll("button").Single(b => b.TextContent.Contains("Cancel", StringComparison.Ordinal)).ClickAsync(new());
        await asking.WaitAsync(TimeSpan.FromSeconds(30));

        cut.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll(".mud-dialog")));
        Assert.Empty(cut.FindAll("[data-test=group-message]"));
        Assert.DoesNotContain(_scaling.Calls, c => c.StartsWith("delete", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DeleteGroup_Refused_ReasonShown()
    {
        _scaling.OnDelete = _ => Core.Services.ServiceResult<OperationAccepted>.Conflict("Scaling group web is already being deleted.");
        var cut = Render<ScalingGroupDetail>(p => p.Add(x => x.Name, "web"));
        cut.WaitForAssertion(() => cut.Find("[data-test=delete-group]"));

        var asking = cut.Find("[data-test=delete-group]").ClickAsync(new()); // its handler waits for the dialog's answer
        Dialogs.WaitForAssertion(() => Assert.Contains("Delete scaling group web?", Dialogs.Markup));
        await Dialogs.FindAll("button").Single(b => b.TextContent.Contains("Delete", StringComparison.Ordinal)).ClickAsync(new());
        await asking.WaitAsync(TimeSpan.FromSeconds(30));

        cut.WaitForAssertion(() => Assert.Contains("Could not delete scaling group web: Scaling group web is already being deleted.", cut.Find("[data-test=group-message]").TextContent));
    }

    [Fact]
    public async Task DeletePolicy_Confirmed_DialogNamesItAndItIsGone()
    {
        _scaling.Policies.Add(new ScalingPolicyView(Guid.NewGuid(), "busy", "metric", true, "cpu", "above", 70, 60, 1, null, null, 0, null, "cpu above 70 for 60 s → add 1"));
        _scaling.Policies.Add(new ScalingPolicyView(Guid.NewGuid(), "mornings", "schedule", true, null, null, 0, 0, 0, "0 8 * * 1-5", "desired", 3, null, "at 0 8 * * 1-5 set desired to 3"));
        var cut = Render<ScalingGroupDetail>(p => p.Add(x => x.Name, "web"));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-test=policy]").Count));

        var asking = cut.FindAll("[data-test=delete-policy]")[0].ClickAsync(new()); // its handler waits for the dialog's answer
        Dialogs.WaitForAssertion(() =>
        {
            Assert.Contains("Delete policy busy?", Dialogs.Markup);
            Assert.Contains("cpu above 70 for 60 s → add 1", Dialogs.Markup);
        });
        await Dialogs.FindAll("button").Single(b => b.TextContent.Contains("Delete", StringComparison.Ordinal)).ClickAsync(new());
        await asking.WaitAsync(TimeSpan.FromSeconds(30));

        cut.WaitForAssertion(() =>
        {
            var policy = Assert.Single(cut.FindAll("[data-test=policy]"));
            Assert.Contains("mornings", policy.TextContent);
            Assert.Equal("Policy busy deleted.", cut.Find("[data-test=group-message]").TextContent.Trim());
        });
        Assert.Contains("delete policy busy", _scaling.Calls);
    }

    [Fact]
    public async Task DeleteScript_Confirmed_DialogNamesItAndItsTabIsGone()
    {
        await _scaling.SaveScriptAsync(_group.Id, null, new SaveScalingScriptRequest("sizer", "scaleTo(1);", 30));
        await _scaling.SaveScriptAsync(_group.Id, _scaling.Scripts[0].Id, new SaveScalingScriptRequest(null, "scaleTo(2);", 30));
        var cut = Render<ScalingGroupDetail>(p => p.Add(x => x.Name, "web"));
        cut.WaitForAssertion(() => Assert.Equal("sizer v2", cut.Find("[data-test=script-tab]").TextContent));
        Assert.Empty(cut.FindAll("[data-test=delete-script]"));

        await cut.Find("[data-test=script-tab]").ClickAsync(new());
        // The click's handler waits for the answer to its dialog: the answer comes before the click ends.
        var deleting = cut.Find("[data-test=delete-script]").ClickAsync(new());
        Dialogs.WaitForAssertion(() =>
        {
            Assert.Contains("Delete script sizer?", Dialogs.Markup);
            Assert.Contains("all its 2 version(s) are deleted", Dialogs.Markup);
        });
        await Dialogs.FindAll("button").Single(b => b.TextContent.Contains("Delete", StringComparison.Ordinal)).ClickAsync(new());
        await deleting.WaitAsync(TimeSpan.FromSeconds(30));

        cut.WaitForAssertion(() =>
        {
            Assert.Empty(cut.FindAll("[data-test=script-tab]"));
            Assert.Equal("Script sizer deleted.", cut.Find("[data-test=group-message]").TextContent.Trim());
            Assert.NotNull(cut.Find("[data-test=script-name]"));
        });
        Assert.Contains("delete script sizer", _scaling.Calls);
    }

    [Fact]
    public void Detail_UnknownGroup_SaysSo()
    {
        var cut = Render<ScalingGroupDetail>(p => p.Add(x => x.Name, "nope"));

        cut.WaitForAssertion(() => Assert.Contains("no scaling group named nope", cut.Find("[data-test=empty-state]").TextContent));
    }
}
