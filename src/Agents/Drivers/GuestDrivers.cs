using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Core.Contracts;

namespace Ringmaster.Agents.Drivers;

/// <summary>The drivers registered on this agent, one per machine kind (keyed services).</summary>
public sealed class GuestDrivers(IServiceProvider services)
{
    public IGuestDriver? For(MachineKind kind) => services.GetKeyedService<IGuestDriver>(kind);

    public IEnumerable<IGuestDriver> All => Enum.GetValues<MachineKind>().Select(For).OfType<IGuestDriver>();
}
