using System.Security.Claims;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Access;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

/// <summary>The Alert rules page: the rules with their condition and state, adding one, a refusal, deleting, and what a viewer may do.</summary>
public sealed class AlertRulesPageTests : DashboardTestContext
{
    private static AlertRuleView Rule(string name, string state = "ok", string? targetName = null) =>
        new(Guid.NewGuid(), name, "default", "cpuPercent", targetName is null ? "all-machines" : "machine", targetName is null ? null : Guid.NewGuid(), targetName,
            ">", 90, 300, "critical", true, state, state == "firing" ? 1 : 0, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow);

    [Fact]
    public void Operator_SeesAFiringRule_AddsOne_ThenDeletesIt()
    {
        Authorization.SetClaims(new Claim(AccessClaims.Role, "Operator"));
        Alerts.Rules.Add(Rule("hot-db", "firing", targetName: "db-1"));

        var cut = Render<AlertRules>();
        cut.WaitForAssertion(() => Assert.Equal("firing", cut.Find("[data-rule=hot-db] [data-test=rule-state]").TextContent));
        Assert.Equal("cpuPercent above 90 % for 300 s", cut.Find("[data-rule=hot-db] [data-test=rule-condition]").TextContent);
        Assert.Equal("machine db-1", cut.Find("[data-rule=hot-db] [data-test=rule-target]").TextContent);

        cut.Find("[data-test=rule-name] input, input[data-test=rule-name]").Change("busy-all");
        cut.Find("[data-test=rule-create]").Click();

        cut.WaitForAssertion(() => Assert.Equal(["create busy-all cpuPercent > 90 for 300 on all-machines  warning"], Alerts.RuleCalls));
        cut.WaitForAssertion(() => Assert.Equal("pending", cut.Find("[data-rule=busy-all] [data-test=rule-state]").TextContent));
        Assert.Contains("Alert rule busy-all added", cut.Find("[data-test=rule-message]").TextContent);

        cut.Find("[data-rule=busy-all] [data-test=rule-delete]").Click();
        Dialogs.WaitForAssertion(() => Assert.Contains("Its open alerts resolve", Dialogs.Markup));
        Dialogs.FindAll("button").Single(b => b.TextContent.Contains("Delete", StringComparison.Ordinal)).Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-rule=busy-all]")));
        Assert.Contains("delete busy-all", Alerts.RuleCalls);
    }

    [Fact]
    public void RefusedRule_TheFieldMessageIsShown_NothingIsAdded()
    {
        Authorization.SetClaims(new Claim(AccessClaims.Role, "Admin"));
        Alerts.OnCreateRule = _ => ServiceResult<AlertRuleView>.Invalid("targetName", "Project 'default' has no machine 'nope'.");
        var cut = Render<AlertRules>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=rule-form]")));

        cut.Find("[data-test=rule-name] input, input[data-test=rule-name]").Change("broken");
        cut.Find("[data-test=rule-create]").Click();

        cut.WaitForAssertion(() => Assert.Contains("has no machine 'nope'", cut.Find("[data-test=rule-message]").TextContent));
        Assert.Empty(Alerts.Rules);
    }

    [Fact]
    public void Viewer_SeesTheRules_ButNoFormAndNoDelete()
    {
        Authorization.SetClaims(new Claim(AccessClaims.Role, "Viewer"));
        Alerts.Rules.Add(Rule("quiet"));

        var cut = Render<AlertRules>();

        cut.WaitForAssertion(() => Assert.Equal("ok", cut.Find("[data-rule=quiet] [data-test=rule-state]").TextContent));
        Assert.Empty(cut.FindAll("[data-test=rule-form]"));
        Assert.Empty(cut.FindAll("[data-test=rule-delete]"));
    }
}
