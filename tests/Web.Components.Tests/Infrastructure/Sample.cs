using Ringmaster.Contracts;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>Plausible hosts, machines and operations for the tests.</summary>
public static class Sample
{
    public static readonly Guid HostId = Guid.Parse("11111111-1111-1111-1111-111111111111");

    public static HostCapabilities Capabilities(bool kvm = false) => new(
        "AMD EPYC 7B13", 2, 8L << 30, 40L << 30, 100L << 30,
        [new CpuFlagInfo("svm", "hardware virtualization (AMD-V)")],
        true, "svm", true, "npt", true, kvm,
        kvm ? "usable: /dev/kvm opens for reading and writing" : "not present: no /dev/kvm on this host",
        new ContainerEngineInfo("podman", "4.3.1", "unix:///run/podman/podman.sock"),
        "1.0", "rv64gc", "Debian GNU/Linux 12", "X64");

    public static HostView Host(string name = "alpha", bool online = true, Guid? id = null, int machines = 0) =>
        new(id ?? HostId, name, online, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow, "1.0.0", Capabilities(), 12.5, 2L << 30, machines);

    public static MachineView Machine(string name, MachineState state = MachineState.Running, MachineKind kind = MachineKind.Container, Guid? id = null, Guid? hostId = null) =>
        new(id ?? Guid.NewGuid(), name, kind, state, null, kind == MachineKind.Vm ? "default" : "busybox", "img", hostId ?? HostId, "alpha",
            new MachineSpec(1, 64, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]),
            new Dictionary<string, string> { ["env"] = "dev" }, null, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow);

    public static OperationView Operation(string kind, string target, Guid? machineId = null, OperationStatus state = OperationStatus.Running, int progress = 40,
        string? error = null, string? log = null, Guid? id = null) =>
        new(id ?? Guid.NewGuid(), OperationKinds.Parse(kind), state, progress, state == OperationStatus.Running ? "Working" : "Done", error, null, machineId, target, "dashboard",
            DateTimeOffset.UtcNow.AddSeconds(-3), DateTimeOffset.UtcNow.AddSeconds(-2),
            state is OperationStatus.Succeeded or OperationStatus.Failed ? DateTimeOffset.UtcNow : null, log);

    public static TemplateView Busybox => new("busybox", MachineKind.Container, "ringmaster/busybox:latest", "BusyBox container with a shell", 1, 64, 1);

    public static TemplateView DefaultVm => new("default", MachineKind.Vm, "default", "Small RISC-V Linux VM", 1, 256, 1);
}
