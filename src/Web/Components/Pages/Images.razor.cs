using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages;

/// <summary>
/// Images and templates: the images the server keeps (with what uses each), an upload streamed from
/// the browser to the server's staging folder with its progress and a Cancel, and the templates made
/// from images. Everyone reads; admins upload, delete and make templates (the others see no buttons,
/// and the service refuses them anyway).
/// </summary>
public partial class Images
{
    private const int ImagesTab = 0;
    private const int TemplatesTab = 1;

    /// <summary>How often the progress bar is redrawn while bytes go (each redraw is a render batch sent to the browser).</summary>
    private static readonly TimeSpan s_progressEvery = TimeSpan.FromMilliseconds(250);

    [Inject] public required ImageActions Actions { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }

    /// <summary>The query parameter naming the image (on /images) or template (on /templates) to highlight: where a search hit leads.</summary>
    public const string SelectQuery = "select";

    /// <summary>The class of the highlighted row.</summary>
    public const string SelectedRowClass = "rm-selected-row";

    /// <summary>The image or template to highlight, from the address: set again on every navigation, this page to this page included.</summary>
    [SupplyParameterFromQuery(Name = SelectQuery)] public string? Select { get; set; }

    /// <summary>The address the tab and the highlight were last read from.</summary>
    private string? _readFrom;

    private int _tab;
    private string? _selected;
    private string? _error;
    private IReadOnlyList<ImageRow>? _images;
    private IReadOnlyList<TemplateView>? _templates;

    private IBrowserFile? _file;
    private readonly UploadForm _upload = new();
    private UploadProgress? _progress;
    private CancellationTokenSource? _uploading;
    private string? _imageMessage;
    private Severity _imageSeverity = Severity.Info;

    private TemplateForm _template = new();
    private bool _busy;
    private string? _templateMessage;
    private Severity _templateSeverity = Severity.Info;

    private sealed class UploadForm
    {
        public string? Name { get; set; }
        public ImageKind Kind { get; set; } = ImageKind.Container;

        /// <summary>The name the page proposed from the file's name (replaced when another file is chosen, unless the user typed their own).</summary>
        public string? Proposed { get; set; }
    }

    private sealed class TemplateForm
    {
        public string? Name { get; set; }
        public string? Image { get; set; }
        public string? Description { get; set; }
        public int Vcpus { get; set; } = 1;
        public int MemoryMiB { get; set; } = 256;
        public int DiskGiB { get; set; } = 1;
    }

    /// <summary>An upload under way: its file's name and size.</summary>
    private sealed record UploadProgress(string FileName, long Total);

    /// <summary>The bytes of the upload read so far (written by the reading thread).</summary>
    private long _sent;

    private double Percent => _progress is not { Total: > 0 } progress ? 0 : Math.Min(100, Volatile.Read(ref _sent) * 100.0 / progress.Total);

    private string Status
    {
        get
        {
            var sent = Volatile.Read(ref _sent);
            var total = _progress?.Total ?? 0;
            return sent >= total
                ? $"{Display.Bytes(total)} sent; checking the file…"
                : $"{Display.Bytes(sent)} of {Display.Bytes(total)} · {Display.Percent(Percent)}";
        }
    }

    /// <summary>Redraws the progress bar every <see cref="s_progressEvery"/> while bytes keep coming, until the upload ends.</summary>
    private async Task RedrawWhileUploadingAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(s_progressEvery);
        var shown = 0L;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var sent = Volatile.Read(ref _sent);
                if (sent != shown)
                {
                    shown = sent;
                    await InvokeAsync(StateHasChanged);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The upload ended (or the page closed): the page renders its outcome itself.
        }
    }

    private bool Uploading => _uploading is not null;

    private string SelectedClass(string name) => name == _selected ? SelectedRowClass : "";

    /// <summary>Where a search hit for an image or a template leads: its tab, its row highlighted.</summary>
    public static string LinkTo(string name, bool template) => $"/{(template ? "templates" : "images")}?{SelectQuery}={Uri.EscapeDataString(name)}";

    protected override async Task OnInitializedAsync()
    {
        // Before the first render, which shows the tabs while the lists load.
        ReadAddress();
        await LoadAsync();
    }

    protected override void OnParametersSet() => ReadAddress();

    /// <summary>
    /// Reads the tab and the highlight from the address each time it changes: a search hit opened
    /// while this page is open (from <c>?select=a</c> to <c>?select=b</c>, or /images to /templates)
    /// reuses this component, so reading them once at start kept the first highlight.
    /// </summary>
    private void ReadAddress()
    {
        if (Navigation.Uri == _readFrom)
        {
            // The same address: keep the tab the user may have clicked since.
            return;
        }

        _readFrom = Navigation.Uri;
        var path = new Uri(Navigation.Uri).AbsolutePath.TrimEnd('/');
        _tab = path.EndsWith("/templates", StringComparison.OrdinalIgnoreCase) ? TemplatesTab : ImagesTab;
        _selected = string.IsNullOrEmpty(Select) ? null : Select;
    }

    /// <summary>
    /// Opens a tab and keeps it in the address (<c>/images</c> or <c>/templates</c>, the rest of the
    /// address as it was), so a reload, Back or a copied link opens the same tab.
    /// </summary>
    private void ShowTab(int tab)
    {
        _tab = tab;
        var here = new Uri(Navigation.Uri);
        var path = tab == TemplatesTab ? "/templates" : "/images";
        if (!here.AbsolutePath.TrimEnd('/').Equals(path, StringComparison.OrdinalIgnoreCase))
        {
            Navigation.NavigateTo(path + here.Query, replace: true);
        }
    }

    private async Task LoadAsync()
    {
        try
        {
            _images = await Actions.ImagesAsync();
            _templates = await Actions.TemplatesAsync();
            _error = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _images ??= [];
            _templates ??= [];
            _error = "The images could not be read: " + ex.Message;
        }
    }

    internal static string KindName(ImageKind kind) => kind switch
    {
        ImageKind.Container => "container root filesystem",
        ImageKind.Vm => "RISC-V VM image",
        ImageKind.Iso => "ISO (QEMU installer)",
        ImageKind.Disk => "VM disk (QEMU)",
        _ => kind.ToString(),
    };

    private static string KindHelp(ImageKind kind) => kind switch
    {
        ImageKind.Container => "A .tar or .tar.gz of a root filesystem",
        ImageKind.Vm => "A tarball of fw_dynamic.bin and a kernel (Image.gz, Image or vmlinuz)",
        ImageKind.Iso => "An ISO 9660 image to install a QEMU VM from",
        ImageKind.Disk => "qcow2, VMDK, VDI, VHD(X), raw or an OVA",
        _ => "",
    };

    internal static string UsedBy(ImageUse use)
    {
        var parts = new List<string>();
        if (use.Templates.Count > 0)
        {
            parts.Add((use.Templates.Count == 1 ? "template " : "templates ") + string.Join(", ", use.Templates));
        }

        if (use.Machines > 0)
        {
            parts.Add(use.Machines == 1 ? "1 machine" : $"{use.Machines} machines");
        }

        return parts.Count == 0 ? "nothing" : string.Join("; ", parts);
    }

    private string? NameProblem(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "A name is required."
        : !ImageService.IsValidName(name.Trim()) ? $"The name must be {ImageService.NameRule}."
        : _images?.Any(i => i.Image.Name == name.Trim()) == true ? $"An image named '{name.Trim()}' already exists."
        : null;

    private string? TemplateNameProblem(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "A name is required."
        : !ImageService.IsValidName(name.Trim()) ? $"The name must be {ImageService.NameRule}."
        : _templates?.Any(t => t.Name == name.Trim()) == true ? $"A template named '{name.Trim()}' already exists."
        : null;

    private void Choose(InputFileChangeEventArgs e)
    {
        _file = e.File;
        _imageMessage = null;
        if (string.IsNullOrWhiteSpace(_upload.Name) || _upload.Name == _upload.Proposed)
        {
            _upload.Proposed = ImageActions.NameFrom(e.File.Name);
            _upload.Name = _upload.Proposed;
        }

        _upload.Kind = ImageActions.GuessKind(e.File.Name);
    }

    /// <summary>
    /// Streams the chosen file to the server: the browser's stream is opened with the server's image
    /// limit (this upload only; Blazor's default is 500 KB) and read straight into the staging folder,
    /// the progress bar following the bytes. Cancel stops the read; the service then removes what was staged.
    /// </summary>
    private async Task UploadAsync()
    {
        if (_file is not { } file || Uploading)
        {
            return;
        }

        if (NameProblem(_upload.Name) is { } problem)
        {
            SayImage(problem, Severity.Error);
            return;
        }

        var name = _upload.Name!.Trim();
        var kind = _upload.Kind.ToString().ToLowerInvariant();
        using var cancel = new CancellationTokenSource();
        _uploading = cancel;
        _imageMessage = null;
        Volatile.Write(ref _sent, 0);
        _progress = new UploadProgress(file.Name, file.Size);
        // The bytes are read on the thread pool; the bar is redrawn on a clock, not per read, so a
        // stalled browser still shows where it stopped and a fast one sends few render batches.
        var redraw = RedrawWhileUploadingAsync(cancel.Token);
        try
        {
            var result = await Actions.UploadAsync(name, kind, file.Name, file.Size,
                token => new ProgressStream(file.OpenReadStream(Actions.MaxBytes, token), sent => Volatile.Write(ref _sent, sent)),
                cancel.Token);
            if (result.Kind == ResultKind.Ok)
            {
                SayImage($"Image {result.Value!.Name} imported: {KindName(result.Value.Kind)}, {Display.Bytes(result.Value.SizeBytes)}.", Severity.Success);
                _file = null;
                _upload.Name = null;
                _upload.Proposed = null;
            }
            else
            {
                SayImage(cancel.IsCancellationRequested ? "The upload was cancelled; nothing was kept." : $"{name} was not imported: {Display.Problem(result)}",
                    cancel.IsCancellationRequested ? Severity.Warning : Severity.Error);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || cancel.IsCancellationRequested)
        {
            SayImage(cancel.IsCancellationRequested ? "The upload was cancelled; nothing was kept." : $"{name} was not imported: {ex.Message}",
                cancel.IsCancellationRequested ? Severity.Warning : Severity.Error);
        }
        finally
        {
            _uploading = null;
            _progress = null;
            await cancel.CancelAsync();
            await redraw;
        }

        await LoadAsync();
    }

    private void CancelUpload() => _uploading?.Cancel();

    private async Task DeleteImageAsync(ImageRow row)
    {
        var used = row.Use.InUse ? $" It is used by {UsedBy(row.Use)}: the delete will be refused until those are gone." : "";
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Delete image {row.Image.Name}?",
            $"The image {row.Image.Name} ({KindName(row.Image.Kind)}, {Display.Bytes(row.Image.SizeBytes)}) and its file are deleted from the server; hosts keep the copies their machines use.{used} This cannot be undone.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var result = await Actions.DeleteImageAsync(row.Image.Name);
        SayImage(result.Kind == ResultKind.Ok ? $"Image {row.Image.Name} deleted." : Display.Problem(result), result.Kind == ResultKind.Ok ? Severity.Success : Severity.Error);
        await LoadAsync();
    }

    private IReadOnlyList<ImageView> TemplateImages =>
        [.. (_images ?? []).Select(r => r.Image).Where(i => i.Kind is ImageKind.Container or ImageKind.Vm)];

    /// <summary>The kind of machine the template form's image makes (its memory floor depends on it).</summary>
    private MachineKind TemplateKind =>
        TemplateImages.FirstOrDefault(i => i.Name == _template.Image)?.Kind == ImageKind.Vm ? MachineKind.Vm : MachineKind.Container;

    /// <summary>Opens the template form for <paramref name="image"/>, with the defaults a template of its kind gets.</summary>
    private void StartTemplate(ImageView image)
    {
        _template = new TemplateForm
        {
            Name = ImageService.IsValidName(image.Name) && _templates?.Any(t => t.Name == image.Name) != true ? image.Name : null,
            Image = image.Name,
            MemoryMiB = CatalogService.DefaultTemplateMemoryMiB(image.Kind == ImageKind.Vm ? MachineKind.Vm : MachineKind.Container),
        };
        _templateMessage = null;
        ShowTab(TemplatesTab);
    }

    private async Task CreateTemplateAsync()
    {
        var problem = TemplateNameProblem(_template.Name)
            ?? (string.IsNullOrWhiteSpace(_template.Image) ? "Choose the image the template makes machines from." : null)
            ?? LaunchLimits.Vcpus(_template.Vcpus)
            ?? LaunchLimits.Memory(_template.MemoryMiB, TemplateKind)
            ?? LaunchLimits.Disk(_template.DiskGiB);
        if (problem is not null)
        {
            SayTemplate(problem, Severity.Error);
            return;
        }

        _busy = true;
        try
        {
            var request = new CreateTemplateRequest(_template.Name!.Trim(), _template.Image,
                string.IsNullOrWhiteSpace(_template.Description) ? null : _template.Description.Trim(),
                _template.Vcpus, _template.MemoryMiB, _template.DiskGiB);
            var result = await Actions.CreateTemplateAsync(request);
            if (result.Kind != ResultKind.Ok)
            {
                SayTemplate(Display.Problem(result), Severity.Error);
                return;
            }

            SayTemplate($"Template {result.Value!.Name} created from {result.Value.Image}; launch machines from it in the Catalog.", Severity.Success);
            _template = new TemplateForm();
            await LoadAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task DeleteTemplateAsync(TemplateView template)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Delete template {template.Name}?",
            $"The template {template.Name} leaves the catalog; machines made from it keep running, and its image {template.Image} stays. A template a scaling group uses is refused. This cannot be undone.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var result = await Actions.DeleteTemplateAsync(template.Name);
        SayTemplate(result.Kind == ResultKind.Ok ? $"Template {template.Name} deleted." : Display.Problem(result), result.Kind == ResultKind.Ok ? Severity.Success : Severity.Error);
        await LoadAsync();
    }

    private void SayImage(string message, Severity severity)
    {
        _imageMessage = message;
        _imageSeverity = severity;
    }

    private void SayTemplate(string message, Severity severity)
    {
        _templateMessage = message;
        _templateSeverity = severity;
    }

    public ValueTask DisposeAsync()
    {
        // Leaving the page stops an upload: the service removes what was staged.
        _uploading?.Cancel();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
