using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Core.Contracts;

namespace Ringmaster.Agents.Drivers;

/// <summary>
/// The capabilities of the engines registered on this agent, each keyed by the machine kind it runs
/// (see <see cref="GuestEngines"/>).
/// </summary>
public sealed class GuestDrivers(IServiceProvider services)
{
    /// <summary>The engine's <typeparamref name="TCapability"/> for <paramref name="kind"/>.</summary>
    /// <exception cref="GuestCapabilityMissingException">This host's engine for <paramref name="kind"/> lacks it (or there is none).</exception>
    public TCapability For<TCapability>(MachineKind kind)
        where TCapability : class, IGuestCapability =>
        Find<TCapability>(kind) ?? throw new GuestCapabilityMissingException(kind, typeof(TCapability));

    /// <summary>The engine's <typeparamref name="TCapability"/> for <paramref name="kind"/>, or null when it lacks it.</summary>
    public TCapability? Find<TCapability>(MachineKind kind)
        where TCapability : class, IGuestCapability =>
        services.GetKeyedService<TCapability>(kind);

    /// <summary><typeparamref name="TCapability"/> of every engine that has it, one per kind.</summary>
    public IEnumerable<TCapability> All<TCapability>()
        where TCapability : class, IGuestCapability =>
        Enum.GetValues<MachineKind>().Select(Find<TCapability>).OfType<TCapability>();
}

/// <summary>
/// This host's engine for a kind of guest cannot do what was asked (or the host has no engine for the
/// kind). The one place that says so, in the words the agent reports back.
/// </summary>
public sealed class GuestCapabilityMissingException(MachineKind kind, Type capability)
    : GuestException(Describe(kind, capability))
{
    public MachineKind Kind { get; } = kind;

    public Type Capability { get; } = capability;

    private static string Describe(MachineKind kind, Type capability)
    {
        var guests = kind == MachineKind.Vm ? "virtual machines" : "containers";
        return capability.Name switch
        {
            nameof(IGuestDriver) => $"This host has no driver for {guests}.",
            nameof(IGuestSnapshots) => $"Snapshots of {guests} are not supported on this host.",
            nameof(IGuestBackups) => $"Backups of {guests} are not supported on this host.",
            nameof(IMigratableDriver) => $"This host cannot move {guests}.",
            nameof(IGuestSpecUpdater) => $"This host cannot change the spec of {guests}.",
            nameof(IGuestImageImporter) => $"This host cannot import images for {guests}.",
            nameof(IGuestLeftovers) => $"This host does not look for what interrupted commands on {guests} left.",
            _ => $"This host's driver for {guests} does not offer {capability.Name}.",
        };
    }
}
