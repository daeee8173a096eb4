using AngleSharp.Dom;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Extensions;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

/// <summary>
/// The Images and templates page on the product's image and catalog services: what it lists, an
/// upload with its progress, uploads that are refused (and what the user keeps), and templates made
/// from an image.
/// </summary>
public sealed class ImagesPageTests : ImagesTestContext
{
    private const string NameRule = "The name must be 1–64 characters of lowercase letters, digits";

    private static IElement Row(IRenderedComponent<Images> cut, string cell, string name) =>
        cut.FindAll($"[{cell}]").Single(td => td.GetAttribute(cell) == name).ParentElement!;

    private static List<string> ImageNames(IRenderedComponent<Images> cut) =>
        [.. cut.FindAll("[data-test=image-row]").Select(td => td.GetAttribute("data-image")!)];

    private static List<string> TemplateNames(IRenderedComponent<Images> cut) =>
        [.. cut.FindAll("[data-test=template-row]").Select(td => td.GetAttribute("data-template")!)];

    private static string Input(IRenderedComponent<Images> cut, string test) =>
        cut.Find($"[data-test={test}] input, input[data-test={test}]").GetAttribute("value") ?? "";

    private static string KindShown(IRenderedComponent<Images> cut) => cut.FindComponent<MudSelect<ImageKind>>().Instance.GetState(x => x.Text) ?? "";

    private IRenderedComponent<Images> Open(string path = "/images")
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(path);
        var cut = Render<Images>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=template-table]")));
        return cut;
    }

    private static Task ChooseAsync(IRenderedComponent<Images> cut, FakeBrowserFile file) =>
        cut.InvokeAsync(() => cut.FindComponent<InputFile>().Instance.OnChange.InvokeAsync(new InputFileChangeEventArgs([file])));

    [Fact]
    public void Page_SelectInTheAddress_HighlightsThatImageOrTemplateOnItsTab()
    {
        AddImage("alpine-rootfs", ImageKind.Container);
        AddImage("debian-12", ImageKind.Iso);
        AddTemplate("alpine", "alpine-rootfs");
        AddTemplate("alpine-big", "alpine-rootfs");

        var images = Open("/images?select=debian-12");
        Assert.Equal("Images", images.Find(".mud-tab-active").TextContent.Trim());
        Assert.Equal(["debian-12"], HighlightedRows(images, "data-image"));
        Assert.Empty(HighlightedRows(images, "data-template"));

        var templates = Open("/templates?select=alpine-big");
        Assert.Equal("Templates", templates.Find(".mud-tab-active").TextContent.Trim());
        Assert.Equal(["alpine-big"], HighlightedRows(templates, "data-template"));
        Assert.Empty(HighlightedRows(templates, "data-image"));

        var plain = Open("/images");
        Assert.Empty(plain.FindAll($"tr.{Images.SelectedRowClass}"));
    }

    [Fact]
    public void Page_SelectChangesWhileOpen_HighlightsTheNewRowOnItsTab()
    {
        AddImage("alpine-rootfs", ImageKind.Container);
        AddImage("debian-12", ImageKind.Iso);
        AddTemplate("alpine", "alpine-rootfs");
        var navigation = Services.GetRequiredService<NavigationManager>();
        var cut = Open("/images?select=alpine-rootfs");
        Assert.Equal(["alpine-rootfs"], HighlightedRows(cut, "data-image"));

        // A second search hit on the same page: the same component, a new address.
        navigation.NavigateTo("/images?select=debian-12");

        cut.WaitForAssertion(() => Assert.Equal(["debian-12"], HighlightedRows(cut, "data-image")));
        Assert.Equal("Images", cut.Find(".mud-tab-active").TextContent.Trim());

        // A hit for a template from the Images page: its tab, its row.
        navigation.NavigateTo("/templates?select=alpine");

        cut.WaitForAssertion(() => Assert.Equal("Templates", cut.Find(".mud-tab-active").TextContent.Trim()));
        Assert.Equal(["alpine"], HighlightedRows(cut, "data-template"));
        Assert.Empty(HighlightedRows(cut, "data-image"));
    }

    [Fact]
    public void Tabs_TheOneOpenedIsKeptInTheAddress_SoAReloadOpensItAgain()
    {
        AddImage("alpine-rootfs", ImageKind.Container);
        AddTemplate("alpine", "alpine-rootfs");
        var navigation = Services.GetRequiredService<NavigationManager>();
        var cut = Open("/images");

        cut.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Templates").Click();

        cut.WaitForAssertion(() => Assert.Equal("/templates", new Uri(navigation.Uri).AbsolutePath));
        Assert.Equal("Templates", cut.Find(".mud-tab-active").TextContent.Trim());
        var reloaded = Open(new Uri(navigation.Uri).PathAndQuery);
        Assert.Equal("Templates", reloaded.Find(".mud-tab-active").TextContent.Trim());

        reloaded.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Images").Click();
        reloaded.WaitForAssertion(() => Assert.Equal("/images", new Uri(navigation.Uri).AbsolutePath));
        Assert.Equal("Images", reloaded.Find(".mud-tab-active").TextContent.Trim());

        // Making a template from an image opens the Templates tab, and says so in the address.
        Row(reloaded, "data-image", "alpine-rootfs").QuerySelector("[data-test=image-make-template]")!.Click();
        reloaded.WaitForAssertion(() => Assert.Equal("/templates", new Uri(navigation.Uri).AbsolutePath));
        Assert.Equal("Templates", reloaded.Find(".mud-tab-active").TextContent.Trim());
        Assert.Equal("alpine-rootfs", Input(reloaded, "template-name"));
    }

    private static List<string> HighlightedRows(IRenderedComponent<Images> cut, string cell) =>
        [.. cut.FindAll($"tr.{Images.SelectedRowClass} [{cell}]").Select(td => td.GetAttribute(cell)!)];

    [Fact]
    public void Page_ListsImagesWithKindAndUse_AndTemplatesWithTheirImage()
    {
        AddImage("alpine-rootfs", ImageKind.Container, 3 << 20);
        AddImage("debian-12", ImageKind.Iso, 600L << 20);
        AddTemplate("alpine", "alpine-rootfs");

        var cut = Open();

        Assert.Equal(["alpine-rootfs", "debian-12"], ImageNames(cut));
        var alpine = Row(cut, "data-image", "alpine-rootfs");
        Assert.Equal("container root filesystem", alpine.QuerySelector("[data-test=image-kind-cell]")!.TextContent.Trim());
        Assert.Equal("3 MiB", alpine.QuerySelector("[data-test=image-size]")!.TextContent.Trim());
        Assert.Equal("template alpine", alpine.QuerySelector("[data-test=image-used-by]")!.TextContent.Trim());
        var debian = Row(cut, "data-image", "debian-12");
        Assert.Equal("ISO (QEMU installer)", debian.QuerySelector("[data-test=image-kind-cell]")!.TextContent.Trim());
        Assert.Equal("nothing", debian.QuerySelector("[data-test=image-used-by]")!.TextContent.Trim());
        // An ISO makes no template: only the root filesystem offers one.
        Assert.NotNull(alpine.QuerySelector("[data-test=image-make-template]"));
        Assert.Null(debian.QuerySelector("[data-test=image-make-template]"));

        Assert.Equal(["alpine"], TemplateNames(cut));
        var template = Row(cut, "data-template", "alpine");
        Assert.Equal("alpine-rootfs", template.QuerySelector("[data-test=template-image-cell]")!.TextContent.Trim());
        Assert.Contains("1 vCPU", template.QuerySelector("[data-test=template-defaults]")!.TextContent);
    }

    [Fact]
    public async Task Upload_ShowsItsProgress_ThenTheNewImageIsListed()
    {
        var tar = RootfsTar(padding: 200 * 1024);
        var half = tar.Length / 2;
        var file = new FakeBrowserFile("alpine-3.20.tar", tar, holdAfter: half);
        var cut = Open();
        Assert.Empty(ImageNames(cut));

        await ChooseAsync(cut, file);
        cut.WaitForAssertion(() => Assert.Equal("alpine-3.20", Input(cut, "image-name")));
        Assert.Equal("container root filesystem", KindShown(cut));
        Assert.Contains("alpine-3.20.tar", cut.Find("[data-test=image-chosen]").TextContent);

        cut.Find("[data-test=image-upload]").Click();

        // Half the file has gone and the browser holds the rest: the bar says so, with a Cancel.
        cut.WaitForAssertion(() => Assert.Contains("50 %", cut.Find("[data-test=upload-status]").TextContent));
        Assert.Contains($"of {Ringmaster.Web.Components.Display.Bytes(tar.Length)}", cut.Find("[data-test=upload-status]").TextContent);
        Assert.False(cut.Find("[data-test=upload-cancel]").HasAttribute("disabled"));
        Assert.True(cut.Find("[data-test=image-upload]").HasAttribute("disabled"));
        Assert.Empty(ImageNames(cut));

        file.Release();

        cut.WaitForAssertion(() => Assert.Equal(["alpine-3.20"], ImageNames(cut)));
        Assert.Contains("Image alpine-3.20 imported: container root filesystem", cut.Find("[data-test=image-message]").TextContent);
        Assert.Empty(cut.FindAll("[data-test=upload-progress]"));
        Assert.Equal("nothing", Row(cut, "data-image", "alpine-3.20").QuerySelector("[data-test=image-used-by]")!.TextContent.Trim());
        Assert.Equal(["alpine-3.20.image"], ImageFiles());
        Assert.Contains(AuditLines(), l => l.StartsWith("admin image.import image alpine-3.20 202", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upload_CancelledHalfway_SaysSo_ListsNothing_AndKeepsNoFile()
    {
        var tar = RootfsTar(padding: 200 * 1024);
        var file = new FakeBrowserFile("alpine-3.20.tar", tar, holdAfter: tar.Length / 2);
        var cut = Open();
        await ChooseAsync(cut, file);
        cut.WaitForAssertion(() => Assert.Equal("alpine-3.20", Input(cut, "image-name")));
        cut.Find("[data-test=image-upload]").Click();
        cut.WaitForAssertion(() => Assert.Contains("50 %", cut.Find("[data-test=upload-status]").TextContent));

        cut.Find("[data-test=upload-cancel]").Click();

        cut.WaitForAssertion(() => Assert.Equal("The upload was cancelled; nothing was kept.", cut.Find("[data-test=image-message]").TextContent.Trim()));
        Assert.Empty(cut.FindAll("[data-test=upload-progress]"));
        Assert.Empty(ImageNames(cut));
        Assert.Empty(ImageFiles());
        using var db = Db();
        Assert.Empty(db.Images);
        // The chosen file and its name stay, so the upload can be sent again.
        Assert.Contains("alpine-3.20.tar", cut.Find("[data-test=image-chosen]").TextContent);
        Assert.False(cut.Find("[data-test=image-upload]").HasAttribute("disabled"));
    }

    [Fact]
    public void Page_Viewer_SeesImagesAndTemplates_ButNoUploadDeleteOrTemplateControls()
    {
        AddImage("alpine-rootfs", ImageKind.Container, 3 << 20);
        AddTemplate("alpine", "alpine-rootfs");
        SignIn("vera", AccessRole.Viewer);

        var cut = Open();

        Assert.Equal(["alpine-rootfs"], ImageNames(cut));
        Assert.Equal("3 MiB", Row(cut, "data-image", "alpine-rootfs").QuerySelector("[data-test=image-size]")!.TextContent.Trim());
        Assert.Equal(["alpine"], TemplateNames(cut));
        Assert.Empty(cut.FindAll("[data-test=upload-form]"));
        Assert.Empty(cut.FindAll("[data-test=image-delete]"));
        Assert.Empty(cut.FindAll("[data-test=image-make-template]"));
        Assert.Empty(cut.FindAll("[data-test=template-form]"));
        Assert.Empty(cut.FindAll("[data-test=template-delete]"));
    }

    [Fact]
    public async Task Upload_EmptyFile_SaysSo_KeepsNothingOnTheServer_AndKeepsTheForm()
    {
        var cut = Open();
        await ChooseAsync(cut, new FakeBrowserFile("rootfs.tar", []));
        cut.WaitForAssertion(() => Assert.Equal("rootfs", Input(cut, "image-name")));

        cut.Find("[data-test=image-upload]").Click();

        cut.WaitForAssertion(() => Assert.Contains("rootfs was not imported: The file is empty.", cut.Find("[data-test=image-message]").TextContent));
        Assert.Empty(ImageNames(cut));
        Assert.Empty(ImageFiles());
        Assert.Equal("rootfs", Input(cut, "image-name"));
        Assert.Contains("rootfs.tar", cut.Find("[data-test=image-chosen]").TextContent);
    }

    [Fact]
    public async Task Upload_WrongKind_SaysWhatTheFileIsNot_ThenTheRightKindImportsTheSameFile()
    {
        var cut = Open();
        // A tarball named like an ISO: the page guesses ISO from the name, the server checks the bytes.
        await ChooseAsync(cut, new FakeBrowserFile("rootfs.iso", RootfsTar()));
        cut.WaitForAssertion(() => Assert.Equal("ISO (QEMU installer)", KindShown(cut)));

        cut.Find("[data-test=image-upload]").Click();

        cut.WaitForAssertion(() => Assert.Contains("rootfs was not imported: This file is not an ISO image", cut.Find("[data-test=image-message]").TextContent));
        Assert.Empty(ImageNames(cut));
        Assert.Empty(ImageFiles());

        // Nothing was lost: the same file and name go again as what they are.
        var select = cut.FindComponent<MudSelect<ImageKind>>();
        await cut.InvokeAsync(select.Instance.OpenMenu);
        Popovers.WaitForAssertion(() => Assert.Contains(Popovers.FindAll(".mud-popover-open .mud-list-item"), i => i.TextContent.Trim() == "container root filesystem"));
        Popovers.FindAll(".mud-popover-open .mud-list-item").First(i => i.TextContent.Trim() == "container root filesystem").Click();
        cut.WaitForAssertion(() => Assert.Equal("container root filesystem", KindShown(cut)));
        cut.Find("[data-test=image-upload]").Click();

        cut.WaitForAssertion(() => Assert.Equal(["rootfs"], ImageNames(cut)));
        Assert.Equal("container root filesystem", Row(cut, "data-image", "rootfs").QuerySelector("[data-test=image-kind-cell]")!.TextContent.Trim());
    }

    [Fact]
    public async Task Upload_BadName_IsExplainedWhereItIsTyped_AndCannotBeSent()
    {
        var cut = Open();
        await ChooseAsync(cut, new FakeBrowserFile("rootfs.tar", RootfsTar()));

        cut.Find("[data-test=image-name] input, input[data-test=image-name]").Input("Debian 12!");

        cut.WaitForAssertion(() => Assert.Contains(NameRule, cut.Find("[data-test=upload-form]").TextContent));
        Assert.True(cut.Find("[data-test=image-upload]").HasAttribute("disabled"));
        Assert.Empty(ImageNames(cut));
    }

    [Fact]
    public void Template_FromAnImage_IsCreatedListedAndShownAsTheImagesUse()
    {
        AddImage("alpine-rootfs", ImageKind.Container);
        var cut = Open();

        Row(cut, "data-image", "alpine-rootfs").QuerySelector("[data-test=image-make-template]")!.Click();

        cut.WaitForAssertion(() => Assert.Equal("alpine-rootfs", Input(cut, "template-name")));
        Assert.Equal("alpine-rootfs", cut.FindComponents<MudSelect<string>>().Single().Instance.GetState(x => x.Value));
        cut.Find("[data-test=template-name] input, input[data-test=template-name]").Input("alpine-small");
        cut.Find("[data-test=template-create]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Template alpine-small created from alpine-rootfs", cut.Find("[data-test=template-message]").TextContent));
        Assert.Equal(["alpine-small"], TemplateNames(cut));
        Assert.Contains("1 vCPU", Row(cut, "data-template", "alpine-small").QuerySelector("[data-test=template-defaults]")!.TextContent);
        Assert.Equal("template alpine-small", Row(cut, "data-image", "alpine-rootfs").QuerySelector("[data-test=image-used-by]")!.TextContent.Trim());
        using var db = Db();
        var saved = db.Templates.Single(t => t.Name == "alpine-small");
        Assert.Equal(("alpine-rootfs", MachineKind.Container), (saved.Image, saved.Kind));
        Assert.Contains(AuditLines(), l => l.StartsWith("admin template.create template alpine-small 202", StringComparison.Ordinal));
    }

    [Fact]
    public void Template_BadName_IsRefusedWithTheRule_AndTheFormKeepsWhatWasTyped()
    {
        AddImage("alpine-rootfs", ImageKind.Container);
        var cut = Open("/templates");
        Row(cut, "data-image", "alpine-rootfs").QuerySelector("[data-test=image-make-template]")!.Click();
        cut.WaitForAssertion(() => Assert.Equal("alpine-rootfs", Input(cut, "template-name")));

        cut.Find("[data-test=template-name] input, input[data-test=template-name]").Input("Alpine Small!");
        cut.Find("[data-test=template-create]").Click();

        cut.WaitForAssertion(() => Assert.Contains(NameRule, cut.Find("[data-test=template-message]").TextContent));
        Assert.Empty(TemplateNames(cut));
        Assert.Equal("Alpine Small!", Input(cut, "template-name"));
        using var db = Db();
        Assert.Empty(db.Templates);
    }

    [Fact]
    public void Template_NameTaken_IsRefusedWithTheReason()
    {
        AddImage("alpine-rootfs", ImageKind.Container);
        AddTemplate("alpine", "alpine-rootfs");
        var cut = Open("/templates");
        Row(cut, "data-image", "alpine-rootfs").QuerySelector("[data-test=image-make-template]")!.Click();

        cut.Find("[data-test=template-name] input, input[data-test=template-name]").Input("alpine");
        cut.Find("[data-test=template-create]").Click();

        cut.WaitForAssertion(() => Assert.Contains("A template named 'alpine' already exists.", cut.Find("[data-test=template-message]").TextContent));
        Assert.Equal(["alpine"], TemplateNames(cut));
    }
}
