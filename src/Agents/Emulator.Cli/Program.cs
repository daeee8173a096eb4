using System.Diagnostics;
using Ringmaster.Emulator;

namespace Ringmaster.Emulator.Cli;

/// <summary>
/// ringmaster-emu: boots a kernel (or a bare-metal ELF) on the emulator with the serial console on
/// stdin/stdout.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: ringmaster-emu [options]
          --kernel FILE        Linux Image (raw or gzip-compressed)
          --initrd FILE        initramfs
          --firmware FILE      OpenSBI fw_dynamic.bin
          --image NAME         built-in image from images/NAME (default, debian)
          --disk FILE          raw disk image on virtio-blk
          --overlay FILE       copy-on-write overlay for --disk (base stays read-only)
          --memory MIB         RAM size (default 256)
          --smp N              harts (default 1)
          --append ARGS        kernel command line (default console=ttyS0)
          --elf FILE           bare-metal ELF in M mode; exit code from HTIF tohost
          --deterministic      clock derived from the instruction count
          --no-rng             leave out the virtio entropy device
          --max-instructions N stop after N instructions
          --timeout S          stop after S seconds
          --stats              print instructions and MIPS to stderr at exit
        """;

    public static int Main(string[] args)
    {
        string? kernel = null, initrd = null, firmware = null, image = null, disk = null, overlay = null, elf = null;
        string append = "console=ttyS0";
        int memory = 256, smp = 1;
        long maxInstructions = long.MaxValue;
        double timeout = double.PositiveInfinity;
        bool stats = false, deterministic = false, rng = true;
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--kernel": kernel = Next(); break;
                    case "--initrd": initrd = Next(); break;
                    case "--firmware": firmware = Next(); break;
                    case "--image": image = Next(); break;
                    case "--disk": disk = Next(); break;
                    case "--overlay": overlay = Next(); break;
                    case "--memory": memory = int.Parse(Next()); break;
                    case "--smp": smp = int.Parse(Next()); break;
                    case "--append": append = Next(); break;
                    case "--elf": elf = Next(); break;
                    case "--max-instructions": maxInstructions = long.Parse(Next()); break;
                    case "--timeout": timeout = double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                    case "--stats": stats = true; break;
                    case "--deterministic": deterministic = true; break;
                    case "--no-rng": rng = false; break;
                    case "-h" or "--help": Console.Out.Write(Usage); return 0;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
            }

            if (image is not null)
            {
                var dir = FindImage(image) ?? throw new ArgumentException($"image '{image}' not found (looked in RINGMASTER_IMAGES, and for images/{image}/ and .state/images/{image}/ above the current folder and the program; scripts/build-images.sh {image} builds it)");
                kernel ??= FirstExisting(dir, "Image.gz", "Image");
                initrd ??= FirstExisting(dir, "initramfs.cpio.gz", "initrd.img");
                firmware ??= FirstExisting(dir, "fw_dynamic.bin");
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine($"ringmaster-emu: {ex.Message}");
            Console.Error.Write(Usage);
            return 2;
        }

        RiscVMachine machine;
        try
        {
            machine = new RiscVMachine(new MachineConfig
            {
                MemoryMiB = memory,
                Harts = smp,
                KernelPath = kernel,
                InitrdPath = initrd,
                FirmwarePath = firmware,
                Bootargs = append,
                DiskPath = disk,
                DiskOverlayPath = overlay,
                BareMetalElfPath = elf,
                DeterministicClock = deterministic,
                EntropyDevice = rng,
            });
        }
        catch (MachineConfigurationException ex)
        {
            Console.Error.WriteLine($"ringmaster-emu: {ex.Message}");
            return 2;
        }

        using (machine)
        {
            var input = new Thread(() => PumpInput(machine)) { IsBackground = true, Name = "console input" };
            input.Start();
            var stdout = Console.OpenStandardOutput();
            var buf = new byte[65536];
            var sw = Stopwatch.StartNew();
            var status = MachineStatus.Running;
            var timedOut = false;
            while (true)
            {
                var budget = Math.Min(2_000_000, maxInstructions - machine.InstructionCount);
                if (budget <= 0) { timedOut = true; break; }
                status = machine.RunSlice(budget);
                int n;
                while ((n = machine.ReadConsoleOutput(buf)) > 0)
                {
                    stdout.Write(buf, 0, n);
                    stdout.Flush();
                }

                if (status == MachineStatus.Rebooting)
                {
                    machine.Reset();
                    continue;
                }

                if (status is MachineStatus.PoweredOff or MachineStatus.Faulted)
                    break;
                if (sw.Elapsed.TotalSeconds > timeout) { timedOut = true; break; }
            }

            if (stats || status == MachineStatus.Faulted || timedOut)
            {
                var secs = machine.BusyTime.TotalSeconds;
                Console.Error.WriteLine();
                Console.Error.WriteLine($"ringmaster-emu: {(timedOut ? "stopped (limit reached)" : machine.StopReason)}");
                if (stats)
                {
                    Console.Error.WriteLine(machine.DescribeHarts());
                    Console.Error.WriteLine($"ringmaster-emu: {machine.InstructionCount} instructions in {sw.Elapsed.TotalSeconds:F2} s " +
                        $"(busy {secs:F2} s, idle {machine.IdleTime.TotalSeconds:F2} s), {machine.InstructionCount / Math.Max(secs, 1e-9) / 1e6:F1} MIPS");
                }
            }

            if (machine.ExitCode is int code)
                return code;
            return status switch
            {
                MachineStatus.PoweredOff => 0,
                MachineStatus.Faulted => 3,
                _ => timedOut ? 124 : 0,
            };
        }
    }

    private static void PumpInput(RiscVMachine machine)
    {
        var stdin = Console.OpenStandardInput();
        var buf = new byte[256];
        try
        {
            int n;
            while ((n = stdin.Read(buf, 0, buf.Length)) > 0)
                machine.WriteConsoleInput(buf.AsSpan(0, n));
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// An image folder: under RINGMASTER_IMAGES, then images/NAME and .state/images/NAME (where
    /// scripts/build-images.sh puts images it does not commit) above the current folder and the program.
    /// </summary>
    private static string? FindImage(string name)
    {
        if (Environment.GetEnvironmentVariable("RINGMASTER_IMAGES") is { Length: > 0 } env && Directory.Exists(Path.Combine(env, name)))
            return Path.Combine(env, name);
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                foreach (var p in new[] { Path.Combine(d.FullName, "images", name), Path.Combine(d.FullName, ".state", "images", name) })
                {
                    if (Directory.Exists(p))
                        return p;
                }
            }
        }

        return null;
    }

    private static string? FirstExisting(string dir, params string[] names) =>
        names.Select(n => Path.Combine(dir, n)).FirstOrDefault(File.Exists);
}
