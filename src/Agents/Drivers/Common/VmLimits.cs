using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Common;

/// <summary>What an emulated VM may have: 64–16384 MiB of memory and 1–8 vCPUs, checked at create and at every spec change.</summary>
public static class VmLimits
{
    public const int MinMemoryMiB = 64;
    public const int MaxMemoryMiB = 16384;
    public const int MinVcpus = 1;
    public const int MaxVcpus = 8;

    /// <summary>Throws a <see cref="GuestException"/> that says the limit when <paramref name="spec"/> is outside it.</summary>
    public static void Check(MachineSpec spec)
    {
        if (spec.MemoryMiB is < MinMemoryMiB or > MaxMemoryMiB)
        {
            throw new GuestException($"An emulated VM needs between {MinMemoryMiB} and {MaxMemoryMiB} MiB of memory.");
        }

        if (spec.Vcpus is < MinVcpus or > MaxVcpus)
        {
            throw new GuestException($"An emulated VM has between {MinVcpus} and {MaxVcpus} vCPUs.");
        }
    }
}
