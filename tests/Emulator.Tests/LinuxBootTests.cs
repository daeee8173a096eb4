using System.Diagnostics;
using System.Text;
using Ringmaster.Emulator.Devices;

namespace Ringmaster.Emulator.Tests;

/// <summary>
/// Boots the default guest image (images/default at the repository root, or the folder named by
/// RINGMASTER_IMAGES) to its busybox shell. These tests fail, not skip, when the image is missing.
/// </summary>
public class LinuxBootTests
{
    private static string ImageDir()
    {
        var env = Environment.GetEnvironmentVariable("RINGMASTER_IMAGES");
        if (!string.IsNullOrEmpty(env))
            return Path.Combine(env, "default");
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Console.sln")))
                return Path.Combine(d.FullName, "images", "default");
        }

        throw new InvalidOperationException("Cannot find the repository root (Console.sln) above the test binaries.");
    }

    private static MachineConfig DefaultImage(Func<MachineConfig, MachineConfig>? change = null)
    {
        var dir = ImageDir();
        foreach (var f in new[] { "Image.gz", "initramfs.cpio.gz", "fw_dynamic.bin" })
        {
            Assert.True(File.Exists(Path.Combine(dir, f)),
                $"The default guest image is missing: {Path.Combine(dir, f)} does not exist. Build or merge images/default (see GUEST-IMAGES.md), or set RINGMASTER_IMAGES.");
        }

        var c = new MachineConfig
        {
            MemoryMiB = 256,
            KernelPath = Path.Combine(dir, "Image.gz"),
            InitrdPath = Path.Combine(dir, "initramfs.cpio.gz"),
            FirmwarePath = Path.Combine(dir, "fw_dynamic.bin"),
            Bootargs = "console=ttyS0",
        };
        return change is null ? c : change(c);
    }

    private sealed class Session(RiscVMachine machine)
    {
        private readonly StringBuilder _text = new();

        public string Text => _text.ToString();

        public RiscVMachine Machine => machine;

        /// <summary>Runs until the console shows <paramref name="marker"/> after <paramref name="from"/>; fails with the console text after 120 s.</summary>
        public int WaitFor(string marker, int from = 0)
        {
            var sw = Stopwatch.StartNew();
            var buf = new byte[65536];
            while (sw.Elapsed < TimeSpan.FromSeconds(120))
            {
                var idx = _text.Length > from ? _text.ToString().IndexOf(marker, from, StringComparison.Ordinal) : -1;
                if (idx >= 0)
                    return idx + marker.Length;
                var s = machine.RunSlice(2_000_000);
                int n;
                while ((n = machine.ReadConsoleOutput(buf)) > 0)
                    _text.Append(Encoding.UTF8.GetString(buf, 0, n));
                if (s is MachineStatus.PoweredOff or MachineStatus.Faulted)
                    break;
            }

            var at = _text.Length > from ? _text.ToString().IndexOf(marker, from, StringComparison.Ordinal) : -1;
            var all = _text.ToString();
            Assert.True(at >= 0, $"'{marker}' never appeared ({machine.Status}, {machine.StopReason}, {machine.DescribeHarts()}). Console (end):\n{all[Math.Max(0, all.Length - 1500)..]}");
            return at + marker.Length;
        }

        /// <summary>Types a line once the shell has settled (ash asks the terminal for its size first).</summary>
        public void Type(string line)
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < TimeSpan.FromMilliseconds(700))
                machine.RunSlice(1_000_000);
            machine.WriteConsoleInput(Encoding.ASCII.GetBytes(line + "\n"));
        }

        public void RunUntilStopped()
        {
            var sw = Stopwatch.StartNew();
            var buf = new byte[65536];
            while (sw.Elapsed < TimeSpan.FromSeconds(60) && machine.RunSlice(2_000_000) is not (MachineStatus.PoweredOff or MachineStatus.Faulted))
            {
                int n;
                while ((n = machine.ReadConsoleOutput(buf)) > 0)
                    _text.Append(Encoding.UTF8.GetString(buf, 0, n));
            }
        }
    }

    [Fact]
    public void Boot_DefaultImage_ReachesBusyboxPromptRunsCommandAndPowersOff()
    {
        using var m = new RiscVMachine(DefaultImage());
        var s = new Session(m);
        var prompt = s.WaitFor("~ # ");
        Assert.Contains("OpenSBI v", s.Text);
        Assert.Contains("Linux version", s.Text);
        s.Type("echo $((6*7))");
        s.WaitFor("\n42", prompt);
        s.Type("poweroff");
        s.RunUntilStopped();
        Assert.Equal(MachineStatus.PoweredOff, m.Status);
    }

    [Fact]
    public void Boot_TwoHarts_BringsUpBothCpus()
    {
        using var m = new RiscVMachine(DefaultImage(c => c with { Harts = 2 }));
        var s = new Session(m);
        var prompt = s.WaitFor("~ # ");
        s.Type("echo cpus=$(nproc)");
        s.WaitFor("\ncpus=2", prompt);
    }

    [Fact]
    public void Boot_WithOverlayDisk_ReadsTheBaseAndWritesOnlyToTheOverlay()
    {
        var dir = Directory.CreateTempSubdirectory("rmemu-");
        try
        {
            var basePath = Path.Combine(dir.FullName, "base.img");
            var overlayPath = Path.Combine(dir.FullName, "overlay.img");
            var disk = new byte[1 << 20];
            Encoding.ASCII.GetBytes("RINGMASTER-DISK").CopyTo(disk, 0);
            File.WriteAllBytes(basePath, disk);

            using (var m = new RiscVMachine(DefaultImage(c => c with { DiskPath = basePath, DiskOverlayPath = overlayPath })))
            {
                var s = new Session(m);
                var prompt = s.WaitFor("~ # ");
                s.Type("head -c 15 /dev/vda; echo");
                s.WaitFor("\nRINGMASTER-DISK", prompt);
                s.Type("echo CHANGED-BY-GUEST | dd of=/dev/vda bs=512 seek=8 conv=notrunc; sync; echo done-$((1+1))");
                s.WaitFor("done-2", prompt);
                s.Type("poweroff");
                s.RunUntilStopped();
            }

            Assert.Equal(disk, File.ReadAllBytes(basePath));
            using var overlay = new OverlayDisk(basePath, overlayPath);
            var buf = new byte[16];
            overlay.Read(4096, buf);
            Assert.Equal("CHANGED-BY-GUEST", Encoding.ASCII.GetString(buf));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
