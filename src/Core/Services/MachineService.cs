using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services;

/// <summary>Creates machines, acts on them and deletes them, each as an operation.</summary>
public sealed class MachineService(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    OperationService operations,
    InventoryService inventory,
    IAgentGateway agents,
    ConsoleBroker consoles,
    LiveFeed feed,
    ILogger<MachineService> logger,
    ProjectQuotas quotas,
    IAccessScope scope,
    ImageService images,
    IOptions<PlacementOptions>? placement = null)
{
    private readonly double _overcommit = PlacementOptions.RatioOf(placement);

    public static readonly TimeSpan CreateTimeout = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan ActionTimeout = TimeSpan.FromMinutes(2);

    /// <summary>How long the server waits for an action: <see cref="ActionTimeout"/>, or a minute more than a longer stop timeout the user asked for.</summary>
    internal static TimeSpan ActionTimeoutFor(int? stopTimeoutSeconds) =>
        stopTimeoutSeconds is { } seconds && TimeSpan.FromSeconds(seconds + 60) > ActionTimeout ? TimeSpan.FromSeconds(seconds + 60) : ActionTimeout;
    public const int MaxLabels = 64;

    private static readonly Dictionary<string, GuestAction> s_actions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["start"] = GuestAction.Start,
        ["stop"] = GuestAction.Stop,
        ["force-stop"] = GuestAction.ForceStop,
        ["restart"] = GuestAction.Restart,
        ["pause"] = GuestAction.Pause,
        ["resume"] = GuestAction.Resume,
        ["eject"] = GuestAction.Eject,
    };

    public static IReadOnlyCollection<string> Actions => s_actions.Keys;

    public async Task<ServiceResult<OperationAccepted>> CreateAsync(CreateMachineRequest request, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field) ?? [], message];

        if (string.IsNullOrWhiteSpace(request.Name))
        {
            Error("name", "A name is required.");
        }
        else if (!MachineNames.IsValid(request.Name))
        {
            Error("name", $"The name must be {MachineNames.Rule}.");
        }

        TemplateEntity? template = null;
        if (string.IsNullOrWhiteSpace(request.Template))
        {
            Error("template", "A template is required.");
        }
        else if (request.Template.Length > 128 || (template = await db.Templates.FindAsync([request.Template], cancellationToken).ConfigureAwait(false)) is null)
        {
            var known = await db.Templates.Select(t => t.Name).OrderBy(n => n).ToListAsync(cancellationToken).ConfigureAwait(false);
            Error("template", $"Unknown template. Known templates: {string.Join(", ", known)}.");
        }

        if (request.Engine is { } engine && template is not null && template.EngineOf() != engine)
        {
            Error("engine", template.EngineOf() is { } runsOn
                ? $"Template '{template.Name}' makes {runsOn.Name()} VMs, not {engine.Name()} ones; pick a template of that engine."
                : $"Template '{template.Name}' makes containers, which have no VM engine.");
        }

        if (request.Vcpus is { } vcpus && LaunchLimits.Vcpus(vcpus) is { } vcpusError)
        {
            Error("vcpus", vcpusError);
        }

        if (request.MemoryMiB is { } memory && LaunchLimits.Memory(memory, template?.Kind ?? MachineKind.Container) is { } memoryError)
        {
            Error("memoryMiB", memoryError);
        }

        if (request.DiskGiB is { } disk && LaunchLimits.Disk(disk) is { } diskError)
        {
            Error("diskGiB", diskError);
        }

        ValidateLabels(request.Labels, Error);
        // What a template that is not QEMU's makes, for the fields only QEMU VMs take (null: no such template).
        var notQemu = template is null || template.EngineOf() == VmEngine.Qemu ? null
            : $"Template '{template.Name}' makes {(template.Kind == MachineKind.Vm ? "emulator VMs" : "containers")}";
        if (request.CloudInit is { } cloudInit)
        {
            if (notQemu is not null)
            {
                Error("cloudInit", $"{notQemu}, which boot without cloud-init; it is for QEMU VMs.");
            }

            CloudInitRules.Validate(cloudInit, Error);
        }

        if (request.Ports is { Count: > 0 } ports)
        {
            if (notQemu is not null)
            {
                Error("ports", $"{notQemu}; port forwards are for QEMU VMs.");
            }

            CloudInitRules.Validate(ports, Error);
        }

        if (request.Iso is { } iso)
        {
            var isoKind = iso.Length > 256 || !ImageService.IsValidName(iso) ? null
                : await db.Images.Where(i => i.Name == iso).Select(i => (ImageKind?)i.Kind).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            if (isoKind is null)
            {
                Error("iso", $"Unknown image '{InputText.Clip(iso, 64)}'; import the ISO first (POST /api/v1/images with kind iso).");
            }
            else if (isoKind != ImageKind.Iso)
            {
                Error("iso", $"Image '{iso}' is a {isoKind.Value.ToString().ToLowerInvariant()} image, not an ISO; import the installer as kind iso.");
            }

            if (notQemu is not null)
            {
                Error("iso", $"{notQemu}; installing from an ISO is for QEMU VMs.");
            }

            if (request.CloudInit is not null)
            {
                Error("cloudInit", "A VM installed from an ISO has the ISO in its CD-ROM, and no cloud-init seed: its installer sets it up.");
            }
        }

        // A VM made from a disk imported from another hypervisor: an OVA's own vCPUs and memory unless the request says otherwise.
        var fromOva = request.Disk is { } diskImage ? await ValidateDiskAsync(db, diskImage, request, notQemu, Error, cancellationToken).ConfigureAwait(false) : null;
        if (request.Devices is not null && notQemu is not null)
        {
            Error("devices", $"{notQemu}; virtio or emulated devices are a choice for QEMU VMs.");
        }

        if (request.Host is { Length: > 256 })
        {
            Error("host", "The host must be a host's name or id.");
        }

        var project = await ProjectNames.ResolveAsync(db, scope, request.Project, cancellationToken).ConfigureAwait(false);
        if (project is null)
        {
            Error("project", ProjectNames.Refusal);
        }

        if (errors.Count > 0 || project is null)
        {
            return ServiceResult<OperationAccepted>.Invalid(errors);
        }

        if (await db.Machines.IgnoreQueryFilters().AnyAsync(m => m.Name == request.Name, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<OperationAccepted>.Conflict($"A machine named '{request.Name}' already exists.");
        }

        var spec = new MachineSpec(
            request.Vcpus ?? fromOva?.Vcpus ?? template!.Vcpus,
            request.MemoryMiB ?? fromOva?.MemoryMiB ?? template!.MemoryMiB,
            [new DiskSpec("root", request.DiskGiB ?? template!.DiskGiB)],
            [new NetworkSpec("eth0", Forwards: request.Ports is { Count: > 0 } forwards ? [.. forwards.Select(f => f with { Protocol = f.Protocol ?? "tcp" })] : null)],
            // a guest from another hypervisor may lack virtio drivers: it gets emulated devices unless virtio is asked for
            template!.EngineOf() == VmEngine.Qemu ? request.Devices ?? (request.Disk is null ? null : GuestDevices.Emulated) : null);
        if (await quotas.CheckAsync(project, QuotaDelta.For(spec), cancellationToken).ConfigureAwait(false) is { } exceeded)
        {
            return ServiceResult<OperationAccepted>.Conflict(exceeded);
        }

        System.Diagnostics.Debug.Assert(template is not null, "a request without a known template was refused above");
        var placement = await PlaceAsync(db, template, spec, request.Host, cancellationToken).ConfigureAwait(false);
        if (placement.Kind != ResultKind.Ok)
        {
            return new ServiceResult<OperationAccepted>(placement.Kind, null, placement.Message, placement.Errors);
        }

        var host = placement.Value!;
        // A QEMU VM's disk may grow to its size: the host's agent refuses one larger than its free space, so refuse it here before anything is made.
        if (template.EngineOf() == VmEngine.Qemu && host.Capabilities is { DiskFreeBytes: > 0 } capabilities
            && (long)spec.Disks[0].SizeGiB << 30 > capabilities.DiskFreeBytes)
        {
            return ServiceResult<OperationAccepted>.Invalid("diskGiB",
                $"A disk of {spec.Disks[0].SizeGiB} GiB does not fit: host {host.Name} has {capabilities.DiskFreeBytes / (double)(1L << 30):0.0} GiB of disk free.");
        }

        if (spec.Networks[0].Forwards is { Count: > 0 } wanted
            && await ForwardsInUseAsync(db, host.Id, wanted, cancellationToken).ConfigureAwait(false) is { } clash)
        {
            return ServiceResult<OperationAccepted>.Conflict(clash);
        }

        var now = DateTime.UtcNow;
        var machine = new MachineEntity
        {
            Id = Guid.NewGuid(),
            Name = request.Name!,
            Kind = template.Kind,
            Engine = template.EngineOf(),
            Template = template.Name,
            Image = request.Disk ?? template.Image,
            Command = template.Command,
            Spec = spec,
            HostId = host.Id,
            Project = project,
            State = MachineState.Creating,
            Labels = request.Labels ?? [],
            Iso = request.Iso,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var start = request.Start ?? true;
        var operation = OperationService.New(OperationKind.MachineCreate, machine.Id, machine.Name, user, machine.Project);
        operation.Intent = new OperationIntent { HostId = host.Id, NewMachineId = machine.Id, Start = start };
        var definition = new GuestDefinition(machine.Id, machine.Name, machine.Kind, machine.Image, machine.Command, spec, machine.Labels,
            await ImageService.SourceForAsync(db, machine.Image, cancellationToken).ConfigureAwait(false), machine.EngineOf(), request.CloudInit,
            request.Iso is { } isoName ? await ImageService.SourceForAsync(db, isoName, cancellationToken).ConfigureAwait(false) : null);
        db.Machines.Add(machine);
        InventoryService.AddEvent(db, "machine.created", machine.Id, host.Id, $"Machine {machine.Name} is being created on {host.Name} from {template.Name}.");
        return await operations.BeginAsync(db, operation, machine.ToView(host.Name), context => CreateWorkAsync(context, definition, host.Id, host.Name, start),
            cancellationToken, new QuotaRoom(project, QuotaDelta.For(spec), machine.Name), announce: true).ConfigureAwait(false);
    }

    private async Task<object?> CreateWorkAsync(OperationContext context, GuestDefinition definition, Guid hostId, string hostName, bool start)
    {
        context.OnUndo("remove the machine record", () => RemoveRecordAsync(definition.Id));
        await context.ReportAsync(5, $"Creating {definition.Kind.ToString().ToLowerInvariant()} {definition.Name} on {hostName}").ConfigureAwait(false);
        var created = await agents.ExecuteAsync(hostId, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.Create, definition.Id, definition), CreateTimeout, context.CancellationToken).ConfigureAwait(false);
        context.OnUndo("delete the guest on its host", () => agents.ExecuteAsync(hostId, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.Delete, definition.Id), ActionTimeout, CancellationToken.None));
        if (definition.ImageSource is { Kind: ImageKind.Disk } && created.Guest is { } made && made.Spec.DiskGiB > definition.Spec.DiskGiB)
        {
            // an imported disk larger than the size asked keeps its own size
            await AdoptDisksAsync(definition.Id, made.Spec.Disks).ConfigureAwait(false);
        }

        var view = await inventory.GuestChangedAsync(hostId, created.Guest!, context.CancellationToken).ConfigureAwait(false);
        if (start)
        {
            await context.ReportAsync(80, $"Starting {definition.Name}").ConfigureAwait(false);
            var started = await agents.ExecuteAsync(hostId, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.Act, definition.Id, Action: GuestAction.Start), ActionTimeout, context.CancellationToken).ConfigureAwait(false);
            view = await inventory.GuestChangedAsync(hostId, started.Guest!, context.CancellationToken).ConfigureAwait(false);
        }

        return view;
    }

    private async Task RemoveRecordAsync(Guid machineId)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        var machine = await db.Machines.FindAsync(machineId).ConfigureAwait(false);
        if (machine is null)
        {
            return;
        }

        db.Machines.Remove(machine);
        await db.SaveChangesAsync().ConfigureAwait(false);
        consoles.Forget(machineId);
        feed.Publish(new MachineRemoved(machineId, machine.Name));
    }

    /// <param name="stopTimeoutSeconds">For stop and restart: how long the guest may take to power off before it is forced; null for its engine's default.</param>
    public async Task<ServiceResult<OperationAccepted>> ActAsync(Guid machineId, string action, string user, CancellationToken cancellationToken = default, int? stopTimeoutSeconds = null)
    {
        if (!s_actions.TryGetValue(action, out var guestAction))
        {
            return ServiceResult<OperationAccepted>.Invalid("action", $"Unknown action '{InputText.Clip(action, 32)}'. Actions: {string.Join(", ", s_actions.Keys)}.");
        }

        if (stopTimeoutSeconds is { } seconds)
        {
            if (guestAction is not (GuestAction.Stop or GuestAction.Restart))
            {
                return ServiceResult<OperationAccepted>.Invalid("timeout", $"A timeout applies only to stop and restart, not to {action.ToLowerInvariant()}.");
            }

            if (seconds is < 0 or > AgentCommand.MaxStopTimeoutSeconds)
            {
                return ServiceResult<OperationAccepted>.Invalid("timeout", $"The timeout is in seconds, from 0 (force at once) to {AgentCommand.MaxStopTimeoutSeconds}; {seconds} is outside.");
            }
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var machine = await db.Machines.FindAsync([machineId], cancellationToken).ConfigureAwait(false);
        if (machine is null)
        {
            return ServiceResult<OperationAccepted>.NotFound($"No machine {machineId}.");
        }

        var host = machine.HostId is { } hostId ? await db.Hosts.FindAsync([hostId], cancellationToken).ConfigureAwait(false) : null;
        if (host is null || !host.Online || !agents.IsConnected(host.Id))
        {
            return ServiceResult<OperationAccepted>.Conflict(host is { Online: true }
                ? $"Machine {machine.Name} cannot be reached right now: its host's agent is reconnecting."
                : $"Machine {machine.Name} cannot be reached: its host is offline.");
        }

        var refusal = (guestAction, machine.State) switch
        {
            (_, MachineState.Creating or MachineState.Deleting or MachineState.Migrating or MachineState.Starting or MachineState.Stopping) => $"Machine {machine.Name} is busy ({machine.State}); try again when it is done.",
            (_, MachineState.Lost) => $"Machine {machine.Name} is lost: its host does not report it. Delete it or restore it from a backup.",
            (GuestAction.Pause, not MachineState.Running) => $"Only a running machine can be paused; {machine.Name} is {machine.State}.",
            (GuestAction.Resume, not MachineState.Paused) => $"Only a paused machine can be resumed; {machine.Name} is {machine.State}.",
            (GuestAction.Restart, not (MachineState.Running or MachineState.Paused)) => $"Only a running machine can be restarted; {machine.Name} is {machine.State}.",
            (GuestAction.Eject, _) when machine.Iso is null => $"Machine {machine.Name} has no CD in its drive; there is nothing to eject.",
            _ => null,
        };
        if (refusal is not null)
        {
            return ServiceResult<OperationAccepted>.Conflict(refusal);
        }

        var operation = OperationService.New(OperationKinds.OfAction(action), machine.Id, machine.Name, user, machine.Project);
        operation.Intent = new OperationIntent { HostId = host.Id, Action = guestAction };
        var hostIdValue = host.Id;
        return await operations.BeginAsync(db, operation, machine.ToView(host.Name), async context =>
        {
            await context.ReportAsync(10, $"{guestAction} {machine.Name}").ConfigureAwait(false);
            var result = await agents.ExecuteAsync(hostIdValue, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.Act, machineId, Action: guestAction, StopTimeoutSeconds: stopTimeoutSeconds), ActionTimeoutFor(stopTimeoutSeconds), context.CancellationToken).ConfigureAwait(false);
            if (guestAction == GuestAction.Eject)
            {
                await ForgetIsoAsync(machineId).ConfigureAwait(false);
            }

            return await inventory.GuestChangedAsync(hostIdValue, result.Guest!, context.CancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ServiceResult<OperationAccepted>> DeleteAsync(Guid machineId, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var machine = await db.Machines.FindAsync([machineId], cancellationToken).ConfigureAwait(false);
        if (machine is null)
        {
            return ServiceResult<OperationAccepted>.NotFound($"No machine {machineId}.");
        }

        var host = machine.HostId is { } hostId ? await db.Hosts.FindAsync([hostId], cancellationToken).ConfigureAwait(false) : null;
        var onlyRecord = host is null || machine.State == MachineState.Lost;
        if (!onlyRecord && (!host!.Online || !agents.IsConnected(host.Id)))
        {
            return ServiceResult<OperationAccepted>.Conflict($"Machine {machine.Name} cannot be deleted while its host {host.Name} is offline.");
        }

        // A machine in a transitional state with nothing behind it (its operation was lost) can always be deleted.
        if (machine.State is MachineState.Creating or MachineState.Deleting or MachineState.Migrating && operations.IsBusy(machine.Id))
        {
            return ServiceResult<OperationAccepted>.Conflict($"Machine {machine.Name} is busy ({machine.State}); try again when it is done.");
        }

        var operation = OperationService.New(OperationKind.MachineDelete, machine.Id, machine.Name, user, machine.Project);
        var previous = machine.State is MachineState.Creating or MachineState.Deleting or MachineState.Migrating ? MachineState.Error : machine.State;
        operation.Intent = new OperationIntent { HostId = host?.Id, PreviousState = previous };
        var view = machine.ToView(host?.Name);
        return await operations.BeginAsync(db, operation, view, async context =>
        {
            // What was asked of the machine after its delete would act on nothing: it is cancelled.
            operations.CancelQueued(machineId, $"machine {view.Name} is being deleted", context.OperationId);
            if (!onlyRecord)
            {
                await SetStateAsync(machineId, MachineState.Deleting).ConfigureAwait(false);
                context.OnUndo("restore the machine's state", () => SetStateAsync(machineId, previous));
                await context.ReportAsync(10, $"Deleting {view.Name} on {view.Host}").ConfigureAwait(false);
                await agents.ExecuteAsync(host!.Id, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.Delete, machineId), ActionTimeout, context.CancellationToken).ConfigureAwait(false);
            }

            await RemoveRecordAsync(machineId).ConfigureAwait(false);
            operations.CancelQueued(machineId, $"machine {view.Name} was deleted", context.OperationId);
            logger.LogInformation("Deleted machine {Name} ({Id})", view.Name, machineId);
            return new { deleted = machineId, name = view.Name };
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks the disk image a QEMU VM is made from (kind disk, a QEMU template, no ISO beside it);
    /// for an OVA, what its OVF says of vCPUs and memory, each held to the launch limits unless the request overrides it.
    /// </summary>
    private async Task<OvfMachine?> ValidateDiskAsync(RingmasterDbContext db, string disk, CreateMachineRequest request, string? notQemu, Action<string, string> error, CancellationToken cancellationToken)
    {
        var kind = disk.Length > 256 || !ImageService.IsValidName(disk) ? null
            : await db.Images.Where(i => i.Name == disk).Select(i => (ImageKind?)i.Kind).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (kind is null)
        {
            error("disk", $"Unknown image '{InputText.Clip(disk, 64)}'; import the disk first (POST /api/v1/images with kind disk).");
        }
        else if (kind != ImageKind.Disk)
        {
            error("disk", $"Image '{disk}' is a {kind.Value.ToString().ToLowerInvariant()} image, not a disk; import the VM's disk as kind disk.");
        }

        if (notQemu is not null)
        {
            error("disk", $"{notQemu}; a disk from another hypervisor becomes a QEMU VM.");
        }

        if (request.Iso is not null)
        {
            error("iso", "A VM made from an imported disk boots that disk; it is not installed from an ISO.");
        }

        if (kind != ImageKind.Disk || images.ContentPath(disk) is not { } path || !File.Exists(path)
            || DiskImages.Detect(path).Format != DiskImageFormat.Ova || DiskImages.ReadOva(path) is not { } ovf)
        {
            return null;
        }

        if (request.Vcpus is null && ovf.Vcpus is { } vcpus && LaunchLimits.Vcpus(vcpus) is { } vcpusError)
        {
            error("vcpus", $"The OVA asks for {vcpus} vCPUs: {vcpusError} Give vcpus to override it.");
        }

        if (request.MemoryMiB is null && ovf.MemoryMiB is { } memory && LaunchLimits.Memory(memory, MachineKind.Vm) is { } memoryError)
        {
            error("memoryMiB", $"The OVA asks for {memory} MiB: {memoryError} Give memoryMiB to override it.");
        }

        return ovf;
    }

    /// <summary>The machine's disks as its agent made them (an imported disk larger than the size asked).</summary>
    private async Task AdoptDisksAsync(Guid machineId, IReadOnlyList<DiskSpec> disks)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        if (await db.Machines.FindAsync(machineId).ConfigureAwait(false) is { } machine)
        {
            machine.Spec = machine.Spec with { Disks = disks };
            machine.UpdatedAt = DateTime.UtcNow;
            await db.SaveChangesAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The agent took the ISO out of the machine's CD-ROM: the machine has no CD from now on.</summary>
    private async Task ForgetIsoAsync(Guid machineId)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        if (await db.Machines.FindAsync(machineId).ConfigureAwait(false) is { } machine)
        {
            machine.Iso = null;
            machine.UpdatedAt = DateTime.UtcNow;
            await db.SaveChangesAsync().ConfigureAwait(false);
        }
    }

    private async Task SetStateAsync(Guid machineId, MachineState state)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        var machine = await db.Machines.FindAsync(machineId).ConfigureAwait(false);
        if (machine is null)
        {
            return;
        }

        machine.State = state;
        machine.UpdatedAt = DateTime.UtcNow;
        await db.SaveChangesAsync().ConfigureAwait(false);
        var hostName = machine.HostId is { } id ? await db.Hosts.Where(h => h.Id == id).Select(h => h.Name).FirstOrDefaultAsync().ConfigureAwait(false) : null;
        feed.Publish(new MachineChanged(machine.ToView(hostName)));
    }

    /// <summary>
    /// Picks the host: the one asked for, or the online host with the most free memory that can make
    /// a machine from the template (a container engine for containers; the image, or a way to build
    /// it, for VMs: <see cref="CatalogService.CanRun"/>). QEMU VMs go to hosts with KVM first; emulator VMs
    /// to hosts that already have their image. A host being evacuated takes nothing new.
    /// A host whose machines would be given more memory than <see cref="PlacementOptions.MemoryOvercommitRatio"/>
    /// times what it has is refused.
    /// </summary>
    private async Task<ServiceResult<HostEntity>> PlaceAsync(RingmasterDbContext db, TemplateEntity template, MachineSpec spec, string? wanted, CancellationToken cancellationToken)
    {
        var hosts = await db.Hosts.ToListAsync(cancellationToken).ConfigureAwait(false);
        var imported = await db.Images.AnyAsync(i => i.Name == template.Image, cancellationToken).ConfigureAwait(false);
        var given = await HostMemory.GivenAsync(db, cancellationToken).ConfigureAwait(false);
        HostMemory Memory(HostEntity h) => HostMemory.Of(h, given.GetValueOrDefault(h.Id), _overcommit);
        bool CanRun(HostEntity h) => CatalogService.CanRun(h, template, imported);
        var evacuating = await EvacuatingAsync(db, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrWhiteSpace(wanted))
        {
            var host = hosts.FirstOrDefault(h => h.IsNamed(wanted));
            if (host is null)
            {
                return ServiceResult<HostEntity>.Invalid("host", "Unknown host.");
            }

            if (!host.Online || !agents.IsConnected(host.Id))
            {
                return ServiceResult<HostEntity>.Conflict($"Host {host.Name} is offline.");
            }

            if (evacuating.Contains(host.Name))
            {
                return ServiceResult<HostEntity>.Conflict($"Host {host.Name} is being evacuated: its machines are moving off it. Choose another host, or wait until the evacuation ends.");
            }

            if (!CanRun(host))
            {
                return ServiceResult<HostEntity>.Conflict(CatalogService.Assess(template, [host], imported ? new HashSet<string> { template.Image } : new HashSet<string>()).UnavailableReason!);
            }

            var memory = Memory(host);
            return memory.Fits(spec.MemoryMiB) ? ServiceResult<HostEntity>.Ok(host) : ServiceResult<HostEntity>.Conflict(memory.Refusal(spec.MemoryMiB));
        }

        var online = hosts.Where(h => h.Online && agents.IsConnected(h.Id)).ToList();
        if (online.Count > 0 && online.All(h => evacuating.Contains(h.Name)))
        {
            return ServiceResult<HostEntity>.Unavailable($"Every online host is being evacuated ({string.Join(", ", online.Select(h => h.Name))}); nothing is placed on a host its machines are leaving.");
        }

        var candidates = online.Where(h => !evacuating.Contains(h.Name)).Where(CanRun)
            .OrderByDescending(h => template.EngineOf() == VmEngine.Qemu && h.Capabilities?.Qemu?.Accelerator == "kvm")
            .ThenByDescending(h => template.EngineOf() == VmEngine.Emulator && !imported && h.Capabilities?.Images is { } images && images.Present.Contains(template.Image))
            .ThenByDescending(h => (h.Capabilities?.MemoryBytes ?? 0) / (1024 * 1024) - given.GetValueOrDefault(h.Id))
            .ToList();
        if (candidates.Count == 0)
        {
            return ServiceResult<HostEntity>.Unavailable(CatalogService.Assess(template, online, imported ? new HashSet<string> { template.Image } : new HashSet<string>()).UnavailableReason!);
        }

        var fitting = candidates.FirstOrDefault(h => Memory(h).Fits(spec.MemoryMiB));
        return fitting is not null
            ? ServiceResult<HostEntity>.Ok(fitting)
            : ServiceResult<HostEntity>.Conflict("No host has room for the memory: " + string.Join(" ", candidates.Select(h => Memory(h).Refusal(spec.MemoryMiB))));
    }

    /// <summary>The names of the hosts an evacuation is emptying now: nothing new is placed there.</summary>
    internal static async Task<HashSet<string>> EvacuatingAsync(RingmasterDbContext db, CancellationToken cancellationToken)
    {
        var names = await db.Operations.IgnoreQueryFilters().AsNoTracking()
            .Where(o => o.Kind == OperationKind.HostEvacuate && (o.State == OperationStatus.Queued || o.State == OperationStatus.Running))
            .Select(o => o.Target).ToListAsync(cancellationToken).ConfigureAwait(false);
        return new HashSet<string>(names, StringComparer.Ordinal);
    }

    /// <summary>Which of <paramref name="wanted"/>'s host ports another machine on the host already forwards, in words; null when none.</summary>
    private static async Task<string?> ForwardsInUseAsync(RingmasterDbContext db, Guid hostId, IReadOnlyList<PortForward> wanted, CancellationToken cancellationToken)
    {
        var others = await db.Machines.IgnoreQueryFilters().AsNoTracking().Where(m => m.HostId == hostId && m.Kind == MachineKind.Vm)
            .Select(m => new { m.Name, m.Spec }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var clashes = (from other in others
                       from network in other.Spec.Networks
                       from forward in network.Forwards ?? []
                       join mine in wanted on (forward.HostPort, forward.Protocol ?? "tcp") equals (mine.HostPort, mine.Protocol ?? "tcp")
                       select $"{forward.HostPort}/{forward.Protocol ?? "tcp"} (forwarded to {other.Name})").ToList();
        return clashes.Count == 0 ? null : $"Host port {string.Join(", ", clashes)} is already in use on this host; pick another.";
    }

    private static void ValidateLabels(Dictionary<string, string>? labels, Action<string, string> error)
    {
        if (labels is null)
        {
            return;
        }

        if (labels.Count > MaxLabels)
        {
            error("labels", $"At most {MaxLabels} labels.");
        }

        foreach (var (key, value) in labels)
        {
            if (!LabelKeys.IsValid(key))
            {
                error("labels", "Label keys must be 1–63 characters of letters, digits, '-', '_', '.' and '/'.");
                break;
            }

            if (!LabelKeys.IsValidValue(value))
            {
                error("labels", LabelKeys.ValueRule + ".");
                break;
            }
        }
    }
}
