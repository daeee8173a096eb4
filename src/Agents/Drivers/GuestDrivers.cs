using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers;

/// <summary>
/// Which engine runs a guest: containers have one engine per host; virtual machines have the
/// emulator or QEMU. A bare <see cref="MachineKind"/> names its first engine (VMs: the emulator).
/// </summary>
public readonly record struct GuestEngineKey
{
    private GuestEngineKey(MachineKind kind, VmEngine? engine)
    {
        Kind = kind;
        Engine = engine;
    }

    public MachineKind Kind { get; }

    /// <summary>For VMs, the engine; null for containers.</summary>
    public VmEngine? Engine { get; }

    public static GuestEngineKey Emulator { get; } = new(MachineKind.Vm, VmEngine.Emulator);

    public static GuestEngineKey Qemu { get; } = new(MachineKind.Vm, VmEngine.Qemu);

    public static GuestEngineKey Containers { get; } = new(MachineKind.Container, null);

    /// <summary>Every engine an agent may have.</summary>
    public static IReadOnlyList<GuestEngineKey> All { get; } = [Emulator, Qemu, Containers];

    /// <summary>The engine of a guest of <paramref name="kind"/> that names <paramref name="engine"/> (null: the kind's first).</summary>
    public static GuestEngineKey Of(MachineKind kind, VmEngine? engine) =>
        kind == MachineKind.Container ? Containers : engine == VmEngine.Qemu ? Qemu : Emulator;

    public static GuestEngineKey Of(GuestDefinition definition) => Of(definition.Kind, definition.Engine);

    public static GuestEngineKey Of(GuestInfo guest) => Of(guest.Kind, guest.Engine);

    public static implicit operator GuestEngineKey(MachineKind kind) => Of(kind, null);

    /// <summary>The guests in words: "containers", "virtual machines", "QEMU virtual machines".</summary>
    public string Guests => Kind == MachineKind.Container ? "containers" : Engine == VmEngine.Qemu ? "QEMU virtual machines" : "virtual machines";

    public override string ToString() => Kind == MachineKind.Container ? "container" : Engine == VmEngine.Qemu ? "qemu" : "emulator";
}

/// <summary>
/// The capabilities of the engines registered on this agent, each keyed by the engine that runs its
/// guests (see <see cref="GuestEngines"/>).
/// </summary>
public sealed class GuestDrivers(IServiceProvider services)
{
    /// <summary>The engine's <typeparamref name="TCapability"/> for <paramref name="engine"/>.</summary>
    /// <exception cref="GuestCapabilityMissingException">This host's engine lacks it (or there is none).</exception>
    public TCapability For<TCapability>(GuestEngineKey engine)
        where TCapability : class, IGuestCapability =>
        Find<TCapability>(engine) ?? throw new GuestCapabilityMissingException(engine, typeof(TCapability));

    /// <summary>The engine's <typeparamref name="TCapability"/> for <paramref name="engine"/>, or null when it lacks it.</summary>
    public TCapability? Find<TCapability>(GuestEngineKey engine)
        where TCapability : class, IGuestCapability =>
        services.GetKeyedService<TCapability>(engine);

    /// <summary><typeparamref name="TCapability"/> of every engine that has it.</summary>
    public IEnumerable<TCapability> All<TCapability>()
        where TCapability : class, IGuestCapability =>
        GuestEngineKey.All.Select(Find<TCapability>).OfType<TCapability>();
}

/// <summary>
/// This host's engine for a kind of guest cannot do what was asked (or the host has no engine for the
/// kind). The one place that says so, in the words the agent reports back.
/// </summary>
public sealed class GuestCapabilityMissingException(GuestEngineKey engine, Type capability)
    : GuestException(Describe(engine, capability))
{
    public MachineKind Kind { get; } = engine.Kind;

    public GuestEngineKey Engine { get; } = engine;

    public Type Capability { get; } = capability;

    private static string Describe(GuestEngineKey engine, Type capability)
    {
        var guests = engine.Guests;
        return capability.Name switch
        {
            nameof(IGuestDriver) => $"This host has no driver for {guests}.",
            nameof(IGuestSnapshots) => $"Snapshots of {guests} are not supported on this host.",
            nameof(IGuestBackups) => $"Backups of {guests} are not supported on this host.",
            nameof(IMigratableDriver) => $"This host cannot move {guests}.",
            nameof(IGuestSpecUpdater) => $"This host cannot change the spec of {guests}.",
            nameof(IGuestImageImporter) => $"This host cannot import images for {guests}.",
            nameof(IGuestRemovableMedia) => $"The {guests} of this host have no CD-ROM to eject.",
            nameof(IGuestLeftovers) => $"This host does not look for what interrupted commands on {guests} left.",
            _ => $"This host's driver for {guests} does not offer {capability.Name}.",
        };
    }
}
