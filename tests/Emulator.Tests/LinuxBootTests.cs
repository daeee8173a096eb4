using System.Diagnostics;
using System.Text;
using Ringmaster.Emulator.Devices;

namespace Ringmaster.Emulator.Tests;

/// <summary>
/// Boots the default guest image (images/default at the repository root, or the folder named by
/// RINGMASTER_IMAGES) to its busybox shell. These tests fail, not skip, when the image is missing.
/// </summary>
public partial class LinuxBootTests
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

        /// <summary>Runs until the console shows <paramref name="marker"/> after <paramref name="from"/>; fails with the console text after <paramref name="seconds"/>.</summary>
        public int WaitFor(string marker, int from = 0, int seconds = 120)
        {
            var sw = Stopwatch.StartNew();
            var buf = new byte[65536];
            while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
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
            bool stopped;
            do
            {
                stopped = machine.RunSlice(2_000_000) is MachineStatus.PoweredOff or MachineStatus.Faulted;
                int n;
                while ((n = machine.ReadConsoleOutput(buf)) > 0)
                    _text.Append(Encoding.UTF8.GetString(buf, 0, n));
            }
            while (!stopped && sw.Elapsed < TimeSpan.FromSeconds(60));
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
    public void SaveLoad_MidBoot_FreshMachineContinuesToTheSameShellOutput()
    {
        var config = DefaultImage(c => c with { DeterministicClock = true, EntropyDevice = false });
        using var reference = new RiscVMachine(config);
        var full = new Session(reference);
        full.WaitFor("~ # ");

        using var first = new RiscVMachine(config);
        first.RunSlice(60_000_000);
        var snapshot = new MemoryStream();
        first.Save(snapshot);
        var head = first.ConsoleText();
        snapshot.Position = 0;
        using var second = RiscVMachine.Load(snapshot, config);
        var rest = new Session(second);
        rest.WaitFor("~ # ");

        Assert.Equal(full.Text, head + rest.Text);
        Assert.Equal(reference.InstructionCount, second.InstructionCount);
    }

    private sealed class RecordingEndpoint : INetworkEndpoint
    {
        private static readonly byte[] s_mac = [0x52, 0x54, 0x00, 0xab, 0xcd, 0xef];

        public List<byte[]> Sent { get; } = [];

        public ReadOnlySpan<byte> Mac => s_mac;

        public void Send(ReadOnlySpan<byte> frame)
        {
            lock (Sent)
                Sent.Add(frame.ToArray());
        }

        public bool TryReceive(out byte[] frame)
        {
            frame = [];
            return false;
        }
    }

    [Fact]
    public void Boot_WithNetworkEndpoint_GuestSeesTheMacAndSendsArp()
    {
        var net = new RecordingEndpoint();
        using var m = new RiscVMachine(DefaultImage(c => c with { Network = net }));
        var s = new Session(m);
        var prompt = s.WaitFor("~ # ");
        s.Type("cat /sys/class/net/eth0/address; ifconfig eth0 10.0.2.15 up; ping -c 1 -W 1 10.0.2.2; echo net-$((2+3))");
        s.WaitFor("52:54:00:ab:cd:ef", prompt);
        s.WaitFor("net-5", prompt);
        lock (net.Sent)
            Assert.Contains(net.Sent, f => f.Length >= 14 && f[12] == 0x08 && f[13] == 0x06); // an ARP request left the guest
    }

    [Fact]
    public void Boot_WithVirtioConsole_WritesToHvc0ReachTheConsoleOutput()
    {
        using var m = new RiscVMachine(DefaultImage(c => c with { VirtioConsole = true }));
        var s = new Session(m);
        var prompt = s.WaitFor("~ # ");
        s.Type("ls /dev/hvc0 && echo hvc-$((3*3)) > /dev/hvc0");
        s.WaitFor("hvc-9", prompt);
    }

    [Fact]
    public void Reset_AfterBoot_BootsAgainToThePrompt()
    {
        using var m = new RiscVMachine(DefaultImage());
        var s = new Session(m);
        var first = s.WaitFor("~ # ");
        m.Reset();
        s.WaitFor("OpenSBI v", first);
        s.WaitFor("~ # ", first);
    }

    [Fact]
    public void Boot_UnameCpuinfoPoweroff_ShowsRiscv64AndItsIsaThenStopsByItself()
    {
        using var m = new RiscVMachine(DefaultImage());
        var s = new Session(m);
        var prompt = s.WaitFor("~ # ");

        s.Type("uname -m; cat /proc/cpuinfo; poweroff");
        s.RunUntilStopped();

        var lines = s.Text[prompt..].Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Contains("riscv64", lines);
        Assert.Contains(lines, l => l.StartsWith("isa", StringComparison.Ordinal) && l.Contains("rv64imafdc", StringComparison.Ordinal));
        Assert.Equal(MachineStatus.PoweredOff, m.Status);
    }

    [Fact]
    public void Ext4Disk_WrittenInOneBoot_ReadBackInTheNext()
    {
        var dir = Directory.CreateTempSubdirectory("rmemu-ext4-");
        try
        {
            var disk = Path.Combine(dir.FullName, "disk.img");
            using (var mkfs = Process.Start(new ProcessStartInfo("mke2fs", $"-q -F -t ext4 {disk} 16M") { RedirectStandardError = true })!)
            {
                mkfs.WaitForExit();
                Assert.True(mkfs.ExitCode == 0, "mke2fs (e2fsprogs) failed: " + mkfs.StandardError.ReadToEnd());
            }

            using (var first = new RiscVMachine(DefaultImage(c => c with { DiskPath = disk })))
            {
                var s = new Session(first);
                var prompt = s.WaitFor("~ # ");
                s.Type("echo kept-$((20+22)) > /mnt/note; sync; cat /mnt/note");
                s.WaitFor("\nkept-42", prompt);
                s.Type("umount /mnt; poweroff");
                s.RunUntilStopped();
                Assert.Equal(MachineStatus.PoweredOff, first.Status);
            }

            using var second = new RiscVMachine(DefaultImage(c => c with { DiskPath = disk }));
            var again = new Session(second);
            var prompt2 = again.WaitFor("~ # ");
            again.Type("cat /mnt/note");
            again.WaitFor("\nkept-42", prompt2);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Debian's own riscv64 kernel, built on demand by scripts/build-images.sh debian (./test.sh does it) into .state/images.</summary>
    [Fact]
    public void Boot_DebianDistributionKernel_ReachesTheSamePrompt()
    {
        var dir = Path.Combine(Path.GetDirectoryName(ImageDir())!, "..", ".state", "images", "debian");
        if (Environment.GetEnvironmentVariable("RINGMASTER_IMAGES") is { Length: > 0 } env)
            dir = Path.Combine(env, "debian");
        Assert.True(File.Exists(Path.Combine(dir, "Image")), $"The Debian image is missing from {Path.GetFullPath(dir)}: run scripts/build-images.sh debian (./test.sh does).");
        using var m = new RiscVMachine(DefaultImage(c => c with
        {
            MemoryMiB = 512,
            KernelPath = Path.Combine(dir, "Image"),
            InitrdPath = Path.Combine(dir, "initramfs.cpio.gz"),
            FirmwarePath = Path.Combine(dir, "fw_dynamic.bin"),
        }));
        var s = new Session(m);

        var prompt = s.WaitFor("~ # ", seconds: 600);
        s.Type("uname -r; uname -m");
        s.WaitFor("\nriscv64", prompt);

        Assert.Contains("+deb", s.Text[prompt..]);
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
