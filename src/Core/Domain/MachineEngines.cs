using Ringmaster.Contracts;

namespace Ringmaster.Core.Domain;

/// <summary>Which engine runs a machine: a VM's own (the emulator when it predates QEMU), none for a container.</summary>
public static class MachineEngines
{
    public static VmEngine? EngineOf(MachineKind kind, VmEngine? engine) => kind == MachineKind.Vm ? engine ?? VmEngine.Emulator : null;

    public static VmEngine? EngineOf(this MachineEntity machine) => EngineOf(machine.Kind, machine.Engine);

    public static VmEngine? EngineOf(this TemplateEntity template) => EngineOf(template.Kind, template.Engine);

    /// <summary>
    /// Why <paramref name="what"/> (a plural such as "Snapshots") cannot be done to this machine because
    /// it is a QEMU VM, whose state does not move or save yet; null for every other machine.
    /// </summary>
    public static string? QemuRefusal(this MachineEntity machine, string what) => machine.EngineOf() == VmEngine.Qemu
        ? $"{what} of QEMU VMs are not available yet; {machine.Name} runs on the qemu engine. They work for emulator VMs and containers."
        : null;

    /// <summary>The engine in a user's words, as the API spells it.</summary>
    public static string Name(this VmEngine engine) => engine switch
    {
        VmEngine.Qemu => "qemu",
        _ => "emulator",
    };
}
