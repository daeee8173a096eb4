using Ringmaster.Agents.Drivers.Qemu.Qmp;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>
/// Decides whether QEMU runs guests with KVM or TCG on this host, with the reason in words a host
/// page can show. KVM needs the CPU's hardware virtualization (vmx or svm in /proc/cpuinfo), a
/// /dev/kvm that opens, and a KVM guest that QEMU can really start: the flags alone are not enough
/// (a nested hypervisor may refuse the MSRs QEMU sets). Without the flags KVM is not tried at all;
/// a /dev/kvm from PVM (the <c>kvm_pvm</c> module) runs only PVM-built guest kernels, so it does not count.
/// </summary>
public sealed class AcceleratorProbe
{
    private readonly string _procRoot;
    private readonly string _sysRoot;
    private readonly string _devKvm;
    private readonly IKvmTrial _trial;

    /// <param name="procRoot">Where <c>cpuinfo</c> is (<c>/proc</c>).</param>
    /// <param name="sysRoot">Where <c>module/kvm_pvm</c> would be (<c>/sys</c>).</param>
    /// <param name="devKvm">The KVM device (<c>/dev/kvm</c>).</param>
    /// <param name="trial">Starts a KVM guest for real (<see cref="QemuKvmTrial"/>).</param>
    public AcceleratorProbe(string procRoot = "/proc", string sysRoot = "/sys", string devKvm = "/dev/kvm", IKvmTrial? trial = null)
    {
        _procRoot = procRoot;
        _sysRoot = sysRoot;
        _devKvm = devKvm;
        _trial = trial ?? new QemuKvmTrial();
    }

    public async Task<AcceleratorDecision> DecideAsync(CancellationToken cancellationToken = default)
    {
        var flag = VirtualizationFlag();
        var (opens, openError) = KvmOpens();
        var pvm = Directory.Exists(Path.Combine(_sysRoot, "module", "kvm_pvm"));

        if (flag is null)
        {
            var why = "TCG (binary translation): this CPU has no vmx/svm";
            why += !File.Exists(_devKvm) && !opens ? $"; there is no {_devKvm}"
                : pvm ? $"; {_devKvm} is PVM (kvm_pvm), which runs only PVM-built guest kernels"
                : opens ? $"; {_devKvm} opens, but without them KVM would emulate every instruction"
                : "";
            return new AcceleratorDecision(QemuAccelerator.Tcg, why, null, opens, pvm, KvmTried: false, null);
        }

        var flagWords = $"{flag} ({(flag == "vmx" ? "Intel VT-x" : "AMD-V")})";
        if (!opens)
        {
            return new AcceleratorDecision(QemuAccelerator.Tcg,
                $"TCG (binary translation): the CPU has {flagWords}, but {_devKvm} does not open ({openError})", flag, false, pvm, KvmTried: false, null);
        }

        var failure = await _trial.TryAsync(cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return new AcceleratorDecision(QemuAccelerator.Tcg,
                $"TCG (binary translation): the CPU has {flagWords} and {_devKvm} opens, but QEMU could not run a KVM guest: {failure}", flag, true, pvm, KvmTried: true, failure);
        }

        return new AcceleratorDecision(QemuAccelerator.Kvm,
            $"KVM (hardware virtualization): the CPU has {flagWords}, {_devKvm} opens and QEMU ran a KVM guest", flag, true, pvm, KvmTried: true, null);
    }

    private string? VirtualizationFlag()
    {
        string text;
        try
        {
            text = File.ReadAllText(Path.Combine(_procRoot, "cpuinfo"));
        }
        catch (IOException)
        {
            return null;
        }

        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon < 0 || line[..colon].Trim() != "flags")
            {
                continue;
            }

            var flags = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return flags.Contains("vmx") ? "vmx" : flags.Contains("svm") ? "svm" : null;
        }

        return null;
    }

    private (bool Opens, string? Error) KvmOpens()
    {
        try
        {
            using var handle = File.OpenHandle(_devKvm, FileMode.Open, FileAccess.ReadWrite);
            return (true, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (false, e is FileNotFoundException or DirectoryNotFoundException ? "it does not exist" : e.Message);
        }
    }
}

/// <summary>The accelerator QEMU should use, why (in words for a host page), and the facts it rests on.</summary>
/// <param name="VirtualizationFlag"><c>vmx</c>, <c>svm</c> or null.</param>
/// <param name="KvmTried">Whether a KVM guest was started to find out.</param>
/// <param name="KvmFailure">What QEMU said when the KVM guest failed.</param>
public sealed record AcceleratorDecision(
    QemuAccelerator Accelerator,
    string Reason,
    string? VirtualizationFlag,
    bool KvmOpens,
    bool KvmIsPvm,
    bool KvmTried,
    string? KvmFailure);

/// <summary>Starts a KVM guest for real and says why it failed (null when it ran).</summary>
public interface IKvmTrial
{
    Task<string?> TryAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The real trial: QEMU with <c>-accel kvm -cpu host -M pc -nodefaults -display none -S</c> and QMP
/// in a temporary folder; <c>query-status</c> must answer, then <c>quit</c>. A host that lets
/// /dev/kvm open but cannot run the guest fails here (e.g. "failed to set MSR 0x10a to 0x69").
/// </summary>
public sealed class QemuKvmTrial(string binary = QemuProcess.DefaultBinary) : IKvmTrial
{
    public async Task<string?> TryAsync(CancellationToken cancellationToken)
    {
        // A short folder: socket paths are limited to 107 bytes.
        var folder = new QemuVmFolder(Directory.CreateTempSubdirectory("rm-kvm-").FullName);
        try
        {
            IReadOnlyList<string> arguments =
            [
                "-accel", "kvm", "-cpu", "host", "-M", "pc", "-m", "64M", "-nodefaults", "-no-user-config", "-display", "none", "-S",
                "-daemonize", "-pidfile", folder.PidFile,
                "-chardev", $"socket,id=qmp,path={QemuProperties.Escape(folder.QmpSocket)},server=on,wait=off",
                "-mon", "chardev=qmp,mode=control",
            ];
            QemuProcess qemu;
            try
            {
                qemu = await QemuProcess.StartAsync(folder, arguments, binary, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (QemuStartException e)
            {
                return e.Message;
            }

            try
            {
                await using var qmp = await QmpClient.ConnectAsync(folder.QmpSocket, cancellationToken).ConfigureAwait(false);
                var status = await qmp.QueryStatusAsync(cancellationToken).ConfigureAwait(false);
                await qmp.QuitAsync(cancellationToken).ConfigureAwait(false);
                return status.Status == QmpRunStates.Prelaunch ? null : $"the KVM guest was '{status.Status}' instead of waiting to start";
            }
            catch (Exception e) when (e is QmpException or IOException)
            {
                return e.Message;
            }
            finally
            {
                qemu.Kill();
            }
        }
        finally
        {
            try
            {
                Directory.Delete(folder.Path, recursive: true);
            }
            catch (IOException)
            {
                // a socket QEMU still held; the temporary folder is left behind
            }
        }
    }
}
