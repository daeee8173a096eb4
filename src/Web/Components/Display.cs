using System.Globalization;
using MudBlazor;
using Ringmaster.Contracts;

namespace Ringmaster.Web.Components;

/// <summary>How the dashboard words and colours things.</summary>
public static class Display
{
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }

    public static string Rate(double bytesPerSecond) => Bytes((long)bytesPerSecond) + "/s";

    public static string Mib(long mib) => Bytes(mib * 1024 * 1024);

    public static string Percent(double value) => string.Create(CultureInfo.InvariantCulture, $"{value:0.#} %");

    public static string Number(double value, string format = "0.#") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Kind(MachineKind kind) => kind == MachineKind.Vm ? "VM" : "container";

    /// <summary>A port forward as a user reads it: <c>127.0.0.1:2222 → 22/tcp</c>.</summary>
    public static string Forward(PortForward forward) => $"127.0.0.1:{forward.HostPort} → {forward.GuestPort}/{forward.Protocol ?? "tcp"}";

    /// <summary>The kind with the VM's engine: what runs it and which instruction set its guest sees.</summary>
    public static string Kind(MachineKind kind, VmEngine? engine) => (kind, engine) switch
    {
        (MachineKind.Container, _) => "container",
        (_, VmEngine.Qemu) => "x86_64 VM on QEMU",
        _ => "RISC-V VM on the emulator",
    };

    public static string State(MachineState state) => state.ToString().ToLowerInvariant();

    public static string State(MachineView machine) => machine.State == MachineState.Unknown && machine.LastKnownState is { } last
        ? $"unknown (was {State(last)})"
        : State(machine.State);

    public static Color Colour(MachineState state) => state switch
    {
        MachineState.Running => Color.Success,
        MachineState.Paused => Color.Warning,
        MachineState.Stopped => Color.Default,
        MachineState.Creating or MachineState.Deleting or MachineState.Migrating or MachineState.Starting or MachineState.Stopping => Color.Info,
        MachineState.Error or MachineState.Lost => Color.Error,
        _ => Color.Dark,
    };

    public static Color Colour(OperationStatus state) => state switch
    {
        OperationStatus.Succeeded => Color.Success,
        OperationStatus.Failed => Color.Error,
        OperationStatus.Cancelled => Color.Warning,
        OperationStatus.Running => Color.Info,
        _ => Color.Default,
    };

    public static string Status(OperationStatus state) => state.ToString().ToLowerInvariant();

    public static string Ago(DateTimeOffset at, DateTimeOffset now)
    {
        var span = now - at;
        return span.TotalSeconds < 5 ? "just now"
            : span.TotalMinutes < 1 ? $"{(int)span.TotalSeconds} s ago"
            : span.TotalHours < 1 ? $"{(int)span.TotalMinutes} min ago"
            : span.TotalDays < 1 ? $"{(int)span.TotalHours} h ago"
            : at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";
    }

    public static string Duration(OperationView operation, DateTimeOffset now)
    {
        if (operation.StartedAt is not { } started)
        {
            return operation.State == OperationStatus.Queued ? "waiting" : "—";
        }

        var span = (operation.EndedAt ?? now) - started;
        return span.TotalSeconds < 1 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:0} ms")
            : span.TotalMinutes < 1 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.0} s")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes} min {span.Seconds} s");
    }

    /// <summary>An operation kind in words: machine.force-stop reads "force stop".</summary>
    public static string Action(OperationKind kind) => Action(kind.Name());

    /// <summary>An action in words: "machine.force-stop" or "force-stop" reads "force stop".</summary>
    public static string Action(string kind)
    {
        var dot = kind.LastIndexOf('.');
        return (dot < 0 ? kind : kind[(dot + 1)..]).Replace('-', ' ');
    }

    /// <summary>What a host can do, one plain sentence per fact.</summary>
    public static IReadOnlyList<string> Capabilities(HostCapabilities c)
    {
        List<string> lines =
        [
            $"CPU: {c.CpuModel}, {c.Cores} cores ({c.Architecture})",
            c.HardwareVirtualization
                ? $"hardware virtualization: yes ({c.HardwareVirtualizationFlag})"
                : "hardware virtualization: no",
            c.NestedPaging ? $"nested paging: yes ({c.NestedPagingFlag})" : "nested paging: no",
            c.RunsInsideHypervisor ? "running inside a hypervisor" : "running on bare metal",
            c.KvmUsable ? "KVM: usable" : $"KVM: {(string.IsNullOrWhiteSpace(c.KvmDetail) ? "not present" : c.KvmDetail)}",
            c.ContainerEngine is { } engine
                ? $"container engine: {engine.Name} {engine.Version}"
                : $"containers: unavailable — {c.ContainerEngineProblem ?? "no container engine answers"}",
            $"emulator: {c.EmulatorVersion} ({c.EmulatorIsa})",
            .. (c.Qemu is { } qemu ? new[] { QemuLine(qemu) } : []),
            .. (c.Images is { } images ? new[] { ImagesLine(images) } : []),
            $"memory: {Bytes(c.MemoryBytes)}, disk: {Bytes(c.DiskFreeBytes)} free of {Bytes(c.DiskTotalBytes)}",
            $"operating system: {c.OperatingSystem}",
        ];
        return lines;
    }

    /// <summary>
    /// What a host's hardware means for the machines placed there, in words: how its x86_64 VMs run and
    /// why (hardware virtualization and a usable KVM are separate facts), what nested paging and running
    /// inside a hypervisor change, and what needs none of it.
    /// </summary>
    public static IReadOnlyList<(string Topic, string Text)> HardwareNotes(HostCapabilities c)
    {
        var notes = new List<(string, string)>();
        var kvm = c.KvmUsable ? "usable" : string.IsNullOrWhiteSpace(c.KvmDetail) ? "not present" : c.KvmDetail;
        var speed = c.Qemu is { Accelerator: "kvm" }
            ? "QEMU VMs placed here run under KVM: the CPU runs guest code itself, near its own speed."
            : c.Qemu is { Problem: { } problem }
                ? $"QEMU VMs cannot run here: {problem}"
                : "QEMU VMs placed here run under TCG: QEMU translates every guest instruction, so they work but run several times slower than under KVM (a busybox guest still boots in seconds; a full distribution takes tens of seconds).";
        var why = (c.HardwareVirtualization, c.KvmUsable) switch
        {
            (true, true) => $"The CPU has hardware virtualization ({c.HardwareVirtualizationFlag}) and the kernel's KVM is usable.",
            (false, true) =>
                $"\"Hardware virtualization: no\" and \"KVM: usable\" are both true here: the CPU shows no vmx or svm flag, yet /dev/kvm opens. That is a KVM that does not rest on those CPU features (for example PVM, a paging-based KVM offered to a host that is itself a guest), and it runs only guest kernels built for it. Ringmaster does not use a KVM without vmx or svm for stock guests.",
            (true, false) => $"The CPU has hardware virtualization ({c.HardwareVirtualizationFlag}), but KVM is not usable ({kvm}): load the kvm module and give the agent access to /dev/kvm to run VMs at speed.",
            (false, false) => $"The CPU shows no hardware virtualization flag (vmx or svm) and KVM is {kvm}.",
        };
        notes.Add(("x86_64 VMs (QEMU)", $"{why} {speed}" + (c.Qemu is { Reason: { Length: > 0 } reason } ? $" The agent's own words: {reason}." : "")));
        notes.Add(("Nested paging", c.NestedPaging
            ? $"The CPU translates guest memory addresses itself ({c.NestedPagingFlag}), so memory-heavy guests under KVM cost little more than programs on the host."
            : "Without nested paging (ept or npt), KVM keeps shadow copies of each guest's page tables: guests that map and unmap memory a lot are slower."));
        if (c.RunsInsideHypervisor)
        {
            notes.Add(("A virtual host", "This host is itself a virtual machine (its CPU reports the hypervisor flag): whether its VMs can use KVM depends on what its own hypervisor passes through (nested virtualization)."));
        }

        notes.Add(("RISC-V VMs (emulator)", "Ringmaster's own emulator needs no virtualization at all: its VMs run the same way on every host, at the emulator's speed, and their whole state can be saved and moved."));
        notes.Add(("Containers", c.ContainerEngine is { } engine
            ? $"Containers share this host's kernel through {engine.Name}: no virtualization is involved, so they run at the host's own speed."
            : $"Containers cannot run here: {c.ContainerEngineProblem ?? "no container engine answers"}."));
        return notes;
    }

    private static string QemuLine(QemuEngineInfo qemu) => qemu.Problem is { } problem
        ? $"QEMU x86_64 VMs: unavailable — {problem}"
        : $"QEMU x86_64 VMs run on {qemu.Reason}"
            + (qemu.Images is { } images ? $"; x86_64 images: {(images.Count > 0 ? string.Join(", ", images) : "none")}" : "");

    private static string ImagesLine(HostImages images)
    {
        var present = images.Present.Count > 0 ? string.Join(", ", images.Present) : "none";
        var buildable = images.Buildable.Except(images.Present).ToList();
        return $"VM images: {present}"
            + (buildable.Count > 0 ? $"; builds {string.Join(", ", buildable)} on first use" : "")
            + (images.BuildProblem is { } problem ? $"; cannot build images: {problem}" : "");
    }

    /// <summary>Why a service call did not start, in words.</summary>
    public static string Problem<T>(Ringmaster.Core.Services.ServiceResult<T> result)
    {
        if (result.Errors is { Count: > 0 } errors)
        {
            return string.Join(" ", errors.SelectMany(e => e.Value));
        }

        return result.Message ?? "The request was refused.";
    }
}
