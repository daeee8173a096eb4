using System.Runtime.InteropServices;
using Ringmaster.Agents.Drivers;
using Ringmaster.Contracts;

namespace Ringmaster.Agents;

/// <summary>Reads what this host can do: CPU, memory, disk, virtualization support and container engine.</summary>
public sealed class HostProbe(IEnumerable<IContainerEngineProbe> engines, Drivers.Emulator.GuestImages? images = null, Drivers.Qemu.QemuGuests? qemu = null, Drivers.Qemu.QemuImages? qemuImages = null)
{
    /// <summary>Raised when something this probe reports changed on its own (an image was built).</summary>
    public event Action? Changed
    {
        add { if (images is not null) images.Changed += value; }
        remove { if (images is not null) images.Changed -= value; }
    }

    private static readonly Dictionary<string, string> s_flagMeanings = new(StringComparer.Ordinal)
    {
        ["vmx"] = "hardware virtualization (Intel VT-x)",
        ["svm"] = "hardware virtualization (AMD-V)",
        ["ept"] = "nested paging (Intel EPT)",
        ["npt"] = "nested paging (AMD NPT)",
        ["hypervisor"] = "this host is itself a guest of a hypervisor",
        ["aes"] = "AES instructions",
        ["avx2"] = "AVX2 vector instructions",
        ["sse4_2"] = "SSE4.2 instructions",
    };

    public async Task<HostCapabilities> ProbeAsync(string dataPath, CancellationToken cancellationToken)
    {
        var cpuinfo = ReadOrEmpty("/proc/cpuinfo");
        var model = FirstValue(cpuinfo, "model name") ?? FirstValue(cpuinfo, "uarch") ?? FirstValue(cpuinfo, "isa") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var flags = new HashSet<string>(
            (FirstValue(cpuinfo, "flags") + " " + FirstValue(cpuinfo, "vmx flags")).Split(' ', StringSplitOptions.RemoveEmptyEntries),
            StringComparer.Ordinal);
        var known = s_flagMeanings.Where(kv => flags.Contains(kv.Key)).Select(kv => new CpuFlagInfo(kv.Key, kv.Value)).ToList();
        var virt = flags.Contains("vmx") ? "vmx" : flags.Contains("svm") ? "svm" : null;
        var nested = flags.Contains("ept") ? "ept" : flags.Contains("npt") ? "npt" : null;
        var (kvmUsable, kvmDetail) = ProbeKvm();

        var (diskFree, diskTotal) = Disk(dataPath);

        ContainerEngineInfo? engine = null;
        string? engineProblem = "no container engine driver is configured";
        foreach (var probe in engines)
        {
            (engine, engineProblem) = await probe.ProbeAsync(cancellationToken).ConfigureAwait(false);
            if (engine is not null)
            {
                break;
            }
        }

        QemuEngineInfo? qemuInfo = null;
        if (qemu is not null)
        {
            var decision = await qemu.AcceleratorAsync().ConfigureAwait(false);
            qemuInfo = new QemuEngineInfo(decision.Accelerator == Drivers.Qemu.QemuAccelerator.Kvm ? "kvm" : "tcg", decision.Reason, qemuImages?.Present(), qemu.Problem());
        }

        return new HostCapabilities(
            model.Trim(),
            Environment.ProcessorCount,
            MemTotalBytes(),
            diskFree,
            diskTotal,
            known,
            virt is not null,
            virt,
            nested is not null,
            nested,
            flags.Contains("hypervisor"),
            kvmUsable,
            kvmDetail,
            engine,
            Emulator.EmulatorInfo.Version,
            Emulator.EmulatorInfo.Isa,
            RuntimeInformation.OSDescription,
            RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
            engine is null ? engineProblem : null,
            images?.Describe(),
            qemuInfo);
    }

    /// <summary>Free and total bytes of the file system that holds <paramref name="dataPath"/>.</summary>
    public static (long Free, long Total) Disk(string dataPath)
    {
        var full = Path.GetFullPath(dataPath);
        Directory.CreateDirectory(full);
        try
        {
            var drive = new DriveInfo(FindMount(full));
            return (drive.AvailableFreeSpace, drive.TotalSize);
        }
        catch (IOException)
        {
            var root = new DriveInfo(Path.GetPathRoot(full) ?? "/");
            return (root.AvailableFreeSpace, root.TotalSize);
        }
    }

    /// <summary>Memory in use on the host, from /proc/meminfo (total − available).</summary>
    public static long MemUsedBytes()
    {
        var meminfo = ReadOrEmpty("/proc/meminfo");
        return KiB(meminfo, "MemTotal") - KiB(meminfo, "MemAvailable");
    }

    private static long MemTotalBytes() => KiB(ReadOrEmpty("/proc/meminfo"), "MemTotal");

    private static long KiB(string meminfo, string key)
    {
        var value = FirstValue(meminfo, key);
        return value is not null && long.TryParse(value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], out var kib) ? kib * 1024 : 0;
    }

    private static (bool Usable, string Detail) ProbeKvm()
    {
        try
        {
            using var kvm = new FileStream("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
            return (true, "usable: /dev/kvm opens for reading and writing");
        }
        catch (FileNotFoundException)
        {
            return (false, "not present: no /dev/kvm on this host");
        }
        catch (DirectoryNotFoundException)
        {
            return (false, "not present: no /dev/kvm on this host");
        }
        catch (UnauthorizedAccessException)
        {
            return (false, "present but not usable: permission denied on /dev/kvm");
        }
        catch (IOException ex)
        {
            return (false, "present but not usable: " + ex.Message);
        }
    }

    private static string FindMount(string path)
    {
        var mounts = ReadOrEmpty("/proc/mounts").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).Where(p => p.Length > 1).Select(p => p[1]).ToList();
        return mounts.Where(m => path == m || path.StartsWith(m.TrimEnd('/') + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.Length).FirstOrDefault() ?? "/";
    }

    private static string? FirstValue(string text, string key)
    {
        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == key)
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
