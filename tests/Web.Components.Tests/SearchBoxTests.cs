using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Web.Components.Shared;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

/// <summary>The search box in the app bar, against a real store with two projects.</summary>
public sealed class SearchBoxTests : SearchTestContext
{
    private IRenderedComponent<SearchBox> Type(string text)
    {
        var cut = Render<SearchBox>();
        cut.Find("[data-test=search-input]").Input(text);
        cut.WaitForAssertion(() => Assert.Equal(text.Trim(), cut.Find("[data-test=search-results]").GetAttribute("data-text")));
        return cut;
    }

    private static List<(string Kind, string Title, string? Href)> Results(IRenderedComponent<SearchBox> cut) =>
        [.. cut.FindAll("[data-test=search-result]").Select(a => (a.GetAttribute("data-kind")!, a.QuerySelector(".rm-search-title")!.TextContent.Trim(), a.GetAttribute("href")))];

    [Fact]
    public void Search_PartOfAMachineName_ListsItWithALinkToItsPage()
    {
        var cut = Type("blue-1");

        var machines = cut.Find("[data-test=search-group][data-kind=machine]");
        Assert.Contains("Machines", machines.TextContent);
        Assert.Contains(("machine", "web-blue-1", $"/machines/{BlueMachine}"), Results(cut));
        Assert.Contains(("operation", "machine.start web-blue-1", $"/operations/{BlueOperation}"), Results(cut));
    }

    [Fact]
    public void Search_OtherCase_FindsHostsAndMachinesInAnyCase()
    {
        var cut = Type("ALPHA");

        Assert.Equal([("host", "Alpha-Host", "/hosts/Alpha-Host")], Results(cut));
        Assert.Contains("online", cut.Find("[data-test=search-result][data-kind=host]").TextContent);
    }

    [Fact]
    public void Search_SnapshotName_LinksToItsMachinesPage()
    {
        var cut = Type("before-upgrade");

        var snapshots = Results(cut).Where(r => r.Kind == "snapshot").ToList();
        Assert.Contains(("snapshot", "before-upgrade", $"/machines/{BlueMachine}"), snapshots);
        Assert.Contains(("snapshot", "red-before-upgrade", $"/machines/{RedMachine}"), snapshots);
        Assert.Contains("snapshot of web-blue-1", cut.Find("[data-test=search-group][data-kind=snapshot]").TextContent);
    }

    [Fact]
    public void Search_TemplateAndImageNames_LinkToTheirRowOnTheImagesPage()
    {
        var cut = Type("busybox");
        Assert.Contains(("image", "busybox", "/templates?select=busybox"), Results(cut));

        cut.Find("[data-test=search-input]").Input("installer");
        cut.WaitForAssertion(() => Assert.Equal([("image", "debian-installer.iso", "/images?select=debian-installer.iso")], Results(cut)));
    }

    [Fact]
    public void Search_UserOfOneProject_DoesNotSeeAnotherProjectsMachinesOperationsOrSnapshots()
    {
        SignInProjectUser("bob", "blue");

        var cut = Type("web");
        var results = Results(cut);
        Assert.Contains(("machine", "web-blue-1", $"/machines/{BlueMachine}"), results);
        Assert.DoesNotContain(results, r => r.Title.Contains("red", StringComparison.Ordinal));
        Assert.Contains(("operation", "machine.start web-blue-1", $"/operations/{BlueOperation}"), results);

        cut.Find("[data-test=search-input]").Input("red");
        cut.WaitForAssertion(() => Assert.Equal("Nothing matches “red”.", cut.Find("[data-test=search-empty]").TextContent.Trim()));

        cut.Find("[data-test=search-input]").Input("upgrade");
        cut.WaitForAssertion(() => Assert.Equal([("snapshot", "before-upgrade", $"/machines/{BlueMachine}")], Results(cut)));
    }

    [Fact]
    public void Search_ALabel_FindsItsMachines_AndSaysWhichLabelMatched()
    {
        Seed(db =>
        {
            var machine = db.Machines.Single(m => m.Id == BlueMachine);
            machine.Labels = new Dictionary<string, string> { ["tier"] = "frontend", ["zone"] = "b" };
        });

        var cut = Type("tier=front");

        Assert.Equal([("machine", "web-blue-1", $"/machines/{BlueMachine}")], Results(cut));
        Assert.Contains("label tier=frontend", cut.Find("[data-test=search-result][data-kind=machine]").TextContent);

        // A machine found by its name does not list its labels.
        cut.Find("[data-test=search-input]").Input("web-blue");
        cut.WaitForAssertion(() => Assert.Equal("web-blue", cut.Find("[data-test=search-results]").GetAttribute("data-text")));
        Assert.Contains(("machine", "web-blue-1", $"/machines/{BlueMachine}"), Results(cut));
        Assert.DoesNotContain("label", cut.Find("[data-test=search-result][data-kind=machine]").TextContent);
    }

    [Fact]
    public void Search_AnId_FindsTheMachineHostOrOperationItNames_AsTheCallerMaySeeIt()
    {
        var cut = Type(BlueMachine.ToString());
        Assert.Equal([("machine", "web-blue-1", $"/machines/{BlueMachine}")], Results(cut));

        cut.Find("[data-test=search-input]").Input(RedOperation.ToString().ToUpperInvariant());
        cut.WaitForAssertion(() => Assert.Equal([("operation", "machine.start web-red-1", $"/operations/{RedOperation}")], Results(cut)));

        cut.Find("[data-test=search-input]").Input($" {Alpha} ");
        cut.WaitForAssertion(() => Assert.Equal([("host", "Alpha-Host", "/hosts/Alpha-Host")], Results(cut)));

        // Another project's machine is not found by its id either.
        SignInProjectUser("bob", "blue");
        var blue = Type(RedMachine.ToString());
        Assert.Equal($"Nothing matches “{RedMachine}”.", blue.Find("[data-test=search-empty]").TextContent.Trim());
    }

    [Fact]
    public void Search_AUserName_FindsTheOperationsTheyStarted_AndSaysWho()
    {
        var cut = Type("rita");

        Assert.Equal([("operation", "machine.start web-red-1", $"/operations/{RedOperation}")], Results(cut));
        Assert.Contains("succeeded · by rita", cut.Find("[data-test=search-result][data-kind=operation]").TextContent);

        SignInProjectUser("bob", "blue");
        var blue = Type("rita");
        Assert.Equal("Nothing matches “rita”.", blue.Find("[data-test=search-empty]").TextContent.Trim());
    }

    [Fact]
    public void Search_MoreMatchesThanShown_SaysHowManyMore_AndLinksToEveryMachineNamedSo()
    {
        Seed(db =>
        {
            for (var i = 1; i <= 8; i++)
            {
                db.Machines.Add(Machine(Guid.NewGuid(), $"batch-{i}", "blue", Alpha, MachineState.Stopped));
            }
        });

        var cut = Type("batch");

        Assert.Equal(5, Results(cut).Count(r => r.Kind == "machine"));
        var more = cut.Find("[data-test=search-more][data-kind=machine]");
        Assert.Contains("and 3 more", more.TextContent);
        Assert.Equal("/machines?name=batch", more.QuerySelector("[data-test=search-more-link]")!.GetAttribute("href"));
        // Kinds that all fit say nothing more.
        Assert.Single(cut.FindAll("[data-test=search-more]"));

        // What a user may not see is not counted either.
        SignInProjectUser("rita", "red");
        var red = Type("batch");
        Assert.Equal("Nothing matches “batch”.", red.Find("[data-test=search-empty]").TextContent.Trim());
    }

    [Fact]
    public void Search_NothingMatches_SaysSo()
    {
        var cut = Type("no-such-thing");

        Assert.Equal("Nothing matches “no-such-thing”.", cut.Find("[data-test=search-empty]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-test=search-result]"));
    }

    [Fact]
    public void Enter_RightAfterTyping_OpensTheFirstResultsPage()
    {
        var cut = Render<SearchBox>();
        var input = cut.Find("[data-test=search-input]");
        input.Input("web-blue");
        // Enter does not wait for the pause after typing: it searches then and there.
        input.KeyDown(new KeyboardEventArgs { Key = "Enter" });

        var navigation = Services.GetRequiredService<NavigationManager>();
        cut.WaitForAssertion(() => Assert.EndsWith($"/machines/{BlueMachine}", navigation.Uri, StringComparison.Ordinal));
    }

    [Fact]
    public void ArrowDown_ThenEnter_OpensTheNextResult()
    {
        var cut = Type("blue-1");
        var input = cut.Find("[data-test=search-input]");

        input.KeyDown(new KeyboardEventArgs { Key = "ArrowDown" });
        cut.WaitForAssertion(() => Assert.Equal("machine.start web-blue-1", cut.Find("[data-test=search-result][aria-selected=true] .rm-search-title").TextContent.Trim()));
        input.KeyDown(new KeyboardEventArgs { Key = "Enter" });

        var navigation = Services.GetRequiredService<NavigationManager>();
        cut.WaitForAssertion(() => Assert.EndsWith($"/operations/{BlueOperation}", navigation.Uri, StringComparison.Ordinal));
    }

    [Fact]
    public void Escape_ClosesTheResults()
    {
        var cut = Type("web");

        cut.Find("[data-test=search-input]").KeyDown(new KeyboardEventArgs { Key = "Escape" });

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-test=search-results]")));
    }

    [Fact]
    public void Shortcuts_AreListenedForOnThePage()
    {
        var cut = Render<SearchBox>();

        cut.WaitForAssertion(() =>
        {
            Assert.Contains(JSInterop.Invocations, i => i.Identifier == "import" && Equals(i.Arguments[0], "./js/shortcuts.js"));
            Assert.Contains(JSInterop.Invocations, i => i.Identifier == "listen");
            Assert.Equal("on", cut.Find("[data-test=search]").GetAttribute("data-shortcuts"));
        });
    }

    [Fact]
    public async Task QuestionMark_ShowsTheShortcutsDialog_ListingEveryShortcut()
    {
        var cut = Render<SearchBox>();

        // What js/shortcuts.js calls when "?" is pressed outside a text field.
        await cut.InvokeAsync(() => cut.Instance.ShowShortcuts());

        Dialogs.WaitForAssertion(() =>
        {
            var rows = Dialogs.FindAll("[data-test=shortcut]").Select(r => r.TextContent).ToList();
            Assert.Contains(rows, r => r.Contains("Ctrl+K", StringComparison.Ordinal) && r.Contains('/') && r.Contains("Search machines", StringComparison.Ordinal));
            Assert.Contains(rows, r => r.Contains('?') && r.Contains("keyboard shortcuts", StringComparison.Ordinal));
            Assert.Contains(rows, r => r.Contains("Esc", StringComparison.Ordinal) && r.Contains("Close the search", StringComparison.Ordinal));
            Assert.Contains(rows, r => r.Contains("Ctrl+V", StringComparison.Ordinal) && r.Contains("console", StringComparison.Ordinal));
            Assert.Equal(Shortcuts.All.Count, rows.Count);
        });
    }

    [Fact]
    public void KeyboardButton_ShowsTheShortcutsDialog()
    {
        var cut = Render<SearchBox>();

        cut.Find("[data-test=shortcuts-button]").Click();

        Dialogs.WaitForAssertion(() => Assert.Contains("Keyboard shortcuts", Dialogs.Find(".mud-dialog").TextContent));
    }
}
