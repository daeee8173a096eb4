using Ringmaster.Contracts;

namespace Ringmaster.Core.Services;

/// <summary>
/// What a new machine may ask for: the API refuses the rest, and the dashboard's form says so where
/// the number is typed (each check answers null when the value is fine, else why not).
/// </summary>
public static class LaunchLimits
{
    public const int MaxVcpus = 64;
    public const int MaxMemoryMiB = 262_144;
    public const int MaxDiskGiB = 4096;

    /// <summary>A VM needs room for its firmware and kernel; a container very little.</summary>
    public static int MinMemory(MachineKind kind) => kind == MachineKind.Vm ? 64 : 16;

    public static string? Vcpus(int vcpus) => vcpus is < 1 or > MaxVcpus ? $"vCPUs must be between 1 and {MaxVcpus}." : null;

    public static string? Memory(int memoryMiB, MachineKind kind) =>
        memoryMiB < MinMemory(kind) || memoryMiB > MaxMemoryMiB ? $"Memory must be between {MinMemory(kind)} and {MaxMemoryMiB} MiB." : null;

    public static string? Disk(int diskGiB) => diskGiB is < 1 or > MaxDiskGiB ? $"The disk must be between 1 and {MaxDiskGiB} GiB." : null;
}
