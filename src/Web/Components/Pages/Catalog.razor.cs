using System.Security.Cryptography;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages;

public partial class Catalog
{
    private IReadOnlyList<TemplateView>? _templates;
    private IReadOnlyList<HostView> _hosts = [];
    private IReadOnlyList<string> _isos = [];
    private string? _error;
    private Launch? _launch;
    private TemplateView? _advanced;
    private LaunchForm _form = new();
    private string? _formErrors;
    private MudForm? _formRef;
    private IReadOnlyList<HostMemory> _memory = [];
    private readonly Dictionary<Guid, OperationView> _early = [];

    [Inject] public required IMachineActions Actions { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }

    /// <summary>A launch under way: the machine's name, its create operation, and how it ended.</summary>
    private sealed class Launch(string name)
    {
        public string Name { get; } = name;
        public Guid? MachineId { get; set; }
        public OperationView? Operation { get; set; }
        public string? Failure { get; set; }
        public bool Done { get; set; }
    }

    private sealed class LaunchForm
    {
        public string? Name { get; set; }
        public string? Host { get; set; }
        public int Vcpus { get; set; }
        public int MemoryMiB { get; set; }
        public int DiskGiB { get; set; }
        public string? Labels { get; set; }
        public bool Start { get; set; } = true;

        // First boot of a QEMU VM (cloud-init) and its port forwards.
        public string? Hostname { get; set; }
        public string? User { get; set; }
        public string? Password { get; set; }
        public string? SshKeys { get; set; }
        public string? UserData { get; set; }
        public string? Ports { get; set; }

        /// <summary>An imported ISO to install from (a QEMU VM with an empty disk of <see cref="DiskGiB"/>, booted from the CD); null: the template's image.</summary>
        public string? Iso { get; set; }

        /// <summary>The cloud-init settings typed, or null when none was.</summary>
        public CloudInitConfig? CloudInit()
        {
            static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
            var keys = (SshKeys ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var config = new CloudInitConfig(Text(Hostname), Text(User), string.IsNullOrEmpty(Password) ? null : Password, keys.Length > 0 ? keys : null,
                string.IsNullOrWhiteSpace(UserData) ? null : UserData);
            return config == new CloudInitConfig() ? null : config;
        }
    }

    /// <summary>
    /// Port forwards typed as <c>HOST:GUEST</c> (with <c>/udp</c> for UDP), separated by commas; a
    /// message saying which one is not when one is not.
    /// </summary>
    internal static (List<PortForward>? Forwards, string? Problem) ParsePorts(string? typed)
    {
        var forwards = new List<PortForward>();
        foreach (var item in (typed ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (ports, protocol) = item.EndsWith("/udp", StringComparison.OrdinalIgnoreCase) ? (item[..^4], "udp")
                : item.EndsWith("/tcp", StringComparison.OrdinalIgnoreCase) ? (item[..^4], "tcp")
                : (item, "tcp");
            var colon = ports.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !int.TryParse(ports[..colon], out var host) || !int.TryParse(ports[(colon + 1)..], out var guest))
            {
                return (null, $"The port forward '{item}' needs the form HOST:GUEST, such as 2222:22.");
            }

            forwards.Add(new PortForward(host, guest, protocol));
        }

        return (forwards.Count > 0 ? forwards : null, null);
    }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            _templates = await Data.GetTemplatesAsync(cancellationToken);
            _hosts = await Data.GetHostsAsync(cancellationToken);
            _memory = await Data.GetHostMemoryAsync(cancellationToken);
            _isos = await Data.GetIsoImagesAsync(cancellationToken);
            _error = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _error = "The catalog could not be read: " + ex.Message;
        }
    }

    protected override bool Apply(LiveChange change)
    {
        switch (change)
        {
            case OperationChanged op when _launch is { Done: false, Operation: null }:
                // The create call has not returned yet: keep what happens meanwhile.
                _early[op.Operation.Id] = op.Operation;
                return false;
            case OperationChanged op when _launch is { Done: false } launch && launch.Operation?.Id == op.Operation.Id:
                launch.Operation = op.Operation;
                Follow(launch);
                return true;
            case HostChanged:
            case MachineChanged or MachineRemoved when _advanced is not null:
                // Hosts and what their machines are given decide whether the form's memory fits.
                RequestReload();
                return false;
            default:
                return false;
        }
    }

    /// <summary>Lands on the console when the create succeeded; says why when it failed.</summary>
    private void Follow(Launch launch)
    {
        switch (launch.Operation?.State)
        {
            case OperationStatus.Succeeded:
                launch.Done = true;
                Snackbar.Add($"{launch.Name} is ready.", Severity.Success);
                Navigation.NavigateTo($"/machines/{launch.MachineId}");
                break;
            case OperationStatus.Failed or OperationStatus.Cancelled:
                launch.Done = true;
                launch.Failure = $"{launch.Name} could not be created: {launch.Operation.Error ?? "the operation was cancelled."}";
                Snackbar.Add(launch.Failure, Severity.Error);
                break;
        }
    }

    /// <summary>A fresh name: the template's name and a short random suffix.</summary>
    public static string NewName(string template)
    {
        var stem = new string([.. template.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]).Trim('-');
        if (stem.Length == 0 || !char.IsAsciiLetter(stem[0]))
        {
            stem = "m-" + stem;
        }

        stem = stem[..Math.Min(stem.Length, MachineNames.MaxLength - 6)].TrimEnd('-');
        return $"{stem}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2))}";
    }

    private Task LaunchAsync(TemplateView template) =>
        StartAsync(new CreateMachineRequest(NewName(template.Name), template.Name, Start: true));

    private void OpenAdvanced(TemplateView template)
    {
        _advanced = template;
        _formErrors = null;
        _form = new LaunchForm
        {
            Name = NewName(template.Name),
            Vcpus = template.Vcpus,
            MemoryMiB = template.MemoryMiB,
            DiskGiB = template.DiskGiB,
        };
    }

    /// <summary>
    /// The host the form's machine would go to, as far as the form can tell: the one chosen, or the
    /// online host with the most memory not yet given (the placement's own first choice).
    /// </summary>
    private HostMemory? MemoryTarget()
    {
        if (!string.IsNullOrWhiteSpace(_form.Host))
        {
            return _memory.FirstOrDefault(m => m.Host == _form.Host);
        }

        var online = _hosts.Where(h => h.Online).Select(h => h.Id).ToHashSet();
        return _memory.Where(m => online.Contains(m.HostId)).OrderByDescending(m => m.TotalMiB - m.GivenMiB).FirstOrDefault();
    }

    /// <summary>The ISO the form's QEMU VM is installed from, or null when it boots the template's image.</summary>
    private string? Installs() => _advanced?.Engine == VmEngine.Qemu && !string.IsNullOrWhiteSpace(_form.Iso) ? _form.Iso : null;

    /// <summary>Whether the form's numbers are ones the API takes (the fields say why where they are not).</summary>
    private bool NumbersValid() =>
        _advanced is not null && LaunchLimits.Vcpus(_form.Vcpus) is null && LaunchLimits.Memory(_form.MemoryMiB, _advanced.Kind) is null && LaunchLimits.Disk(_form.DiskGiB) is null;

    private async Task LaunchAdvancedAsync()
    {
        await _formRef!.ValidateAsync();
        if (!_formRef.IsValid || !NumbersValid() || MemoryTarget() is { } target && !target.Fits(_form.MemoryMiB))
        {
            return;
        }

        var labels = new Dictionary<string, string>();
        foreach (var pair in (_form.Labels ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                _formErrors = $"The label '{pair}' needs the form key=value.";
                return;
            }

            labels[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }

        var qemu = _advanced!.Engine == VmEngine.Qemu;
        var (ports, portsProblem) = qemu ? ParsePorts(_form.Ports) : (null, null);
        if (portsProblem is not null)
        {
            _formErrors = portsProblem;
            return;
        }

        _formErrors = null;
        var ok = await StartAsync(new CreateMachineRequest(_form.Name, _advanced.Name, _form.Vcpus, _form.MemoryMiB, _form.DiskGiB,
            string.IsNullOrWhiteSpace(_form.Host) ? null : _form.Host, labels, _form.Start,
            CloudInit: qemu && Installs() is null ? _form.CloudInit() : null, Ports: ports, Iso: Installs()));
        if (ok)
        {
            _advanced = null;
        }
    }

    private async Task<bool> StartAsync(CreateMachineRequest request)
    {
        var launch = new Launch(request.Name!);
        _early.Clear();
        _launch = launch;
        ServiceResult<OperationAccepted> result;
        try
        {
            result = await Actions.CreateAsync(request, Closed);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            result = ServiceResult<OperationAccepted>.Unavailable(ex.Message);
        }

        if (result.Kind != ResultKind.Ok)
        {
            launch.Done = true;
            launch.Failure = $"{launch.Name} could not be created: {Display.Problem(result)}";
            if (_advanced is not null)
            {
                _formErrors = Display.Problem(result);
            }

            return false;
        }

        launch.MachineId = result.Value!.Machine?.Id;
        // The operation may have moved on while the call returned; the feed brings every later step.
        launch.Operation = _early.GetValueOrDefault(result.Value.Operation.Id) ?? result.Value.Operation;
        _early.Clear();
        Follow(launch);
        return true;
    }
}
