using System.Diagnostics;
using System.Text;
using Ringmaster.Agents;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Emulator;
using Ringmaster.Agents.Tests;
using Ringmaster.Contracts;

namespace Ringmaster.Benchmarks;

/// <summary>
/// Snapshots, linked clones, backups and restores of a running 256 MiB VM (default image, ext4 disk)
/// with a workload: the guest has filled 48 MiB of its RAM with random bytes and keeps rewriting a
/// file on its disk. Driver level (what the agent does for an operation), median of N runs.
/// </summary>
public static class SnapshotBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 5;
        var data = Directory.CreateTempSubdirectory("ringmaster-bench-snap-").FullName;
        var options = new EmulatorDriverOptions { VmsPath = Path.Combine(data, "vms") };
        await using var driver = TestEngine.Emulator(options);
        var store = new BackupStore(Path.Combine(data, "backups"));
        try
        {
            var vm = new GuestDefinition(Guid.NewGuid(), "bench-vm", MachineKind.Vm, "default", [], new MachineSpec(1, 256, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]), new Dictionary<string, string>());
            await driver.Lifecycle.CreateAsync(vm, new Progress<int>(), CancellationToken.None);
            var disk = Path.Combine(options.VmsPath!, vm.Id.ToString("N"), "disk.img");
            using (var mkfs = Process.Start(new ProcessStartInfo("mke2fs", $"-q -F -t ext4 {disk} 64M"))!)
            {
                await mkfs.WaitForExitAsync();
            }

            await driver.Lifecycle.StartAsync(vm.Id, CancellationToken.None);
            await using (var console = await driver.Lifecycle.AttachConsoleAsync(vm.Id, CancellationToken.None))
            {
                var seen = new StringBuilder();
                await UntilAsync(console, seen, "# ", TimeSpan.FromMinutes(5));
                await console.WriteAsync(Encoding.UTF8.GetBytes("dd if=/dev/urandom of=/tmp/fill bs=1M count=48 2>/dev/null; echo filled-$((6*7))\n"), CancellationToken.None);
                await UntilAsync(console, seen, "filled-42", TimeSpan.FromMinutes(10));
                await console.WriteAsync(Encoding.UTF8.GetBytes("(while true; do dd if=/dev/urandom of=/mnt/w bs=64k count=16 2>/dev/null; sync; done) &\n"), CancellationToken.None);
            }

            await Task.Delay(2000);
            Console.WriteLine($"VM: 256 MiB RAM (48 MiB random data in tmpfs), ext4 disk with a rewrite loop; {runs} runs, median; {Environment.ProcessorCount} host cores");
            var pause = new List<double>();
            var total = new List<double>();
            var sizes = new List<double>();
            var clones = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var watch = Stopwatch.StartNew();
                var snapshot = await driver.Snapshots.TakeSnapshotAsync(vm.Id, new SnapshotRequest(Guid.NewGuid(), $"s{i}", null, IncludeMemory: true), CancellationToken.None);
                total.Add(watch.Elapsed.TotalMilliseconds);
                pause.Add(snapshot.PauseMilliseconds);
                sizes.Add(snapshot.SizeBytes / 1048576.0);

                var clone = new GuestDefinition(Guid.NewGuid(), $"bench-clone-{i}", MachineKind.Vm, "default", [], vm.Spec, vm.Labels);
                watch.Restart();
                await driver.Snapshots.CloneAsync(vm.Id, new CloneRequest(clone, Linked: true, IncludeMemory: false), new Progress<int>(), CancellationToken.None);
                clones.Add(watch.Elapsed.TotalMilliseconds);
                await driver.Lifecycle.DeleteAsync(clone.Id, CancellationToken.None);
            }

            Row("snapshot with memory: guest paused", Median(pause), "ms", "goal < 300 ms");
            Row("snapshot with memory: until written", Median(total), "ms", "memory compressed after the guest resumed");
            Row("snapshot size (state + disk layer)", Median(sizes), "MiB", "");
            Row("linked clone (running source)", Median(clones), "ms", "goal < 200 ms");

            Guid? previous = null;
            var fullTimes = new List<double>();
            var incTimes = new List<double>();
            var restoreTimes = new List<double>();
            double guestMiB = 0, fullMiB = 0, incMiB = 0;
            for (var i = 0; i < runs; i++)
            {
                var watch = Stopwatch.StartNew();
                var backup = await driver.Backups.BackupAsync(vm.Id, new BackupRequest(Guid.NewGuid(), true, i == 0 ? null : previous), store, new Progress<int>(), CancellationToken.None);
                (i == 0 ? fullTimes : incTimes).Add(watch.Elapsed.TotalSeconds);
                guestMiB = (backup.StoredBlocks * 4096.0 + 256 * 1048576.0) / 1048576.0;
                if (i == 0)
                {
                    fullMiB = backup.SizeBytes / 1048576.0;
                }
                else
                {
                    incMiB = backup.SizeBytes / 1048576.0;
                }

                previous = backup.Id;
                var restored = new GuestDefinition(Guid.NewGuid(), $"bench-restore-{i}", MachineKind.Vm, "default", [], vm.Spec, vm.Labels);
                watch.Restart();
                await driver.Backups.RestoreAsync(new RestoreRequest(backup.Id, restored, Start: false), store, new Progress<int>(), CancellationToken.None);
                restoreTimes.Add(watch.Elapsed.TotalSeconds);
                await driver.Lifecycle.DeleteAsync(restored.Id, CancellationToken.None);
            }

            Row("full backup with memory", fullTimes[0], "s", $"{guestMiB:F0} MiB of guest state (disk blocks + RAM) → {fullMiB:F1} MiB archive, {guestMiB / fullTimes[0]:F0} MiB/s");
            if (incTimes.Count > 0)
            {
                Row("incremental backup with memory", Median(incTimes), "s", $"archive {incMiB:F1} MiB (changed blocks and pages only)");
            }

            Row("restore (to a new VM, memory resumable)", Median(restoreTimes), "s", $"{guestMiB / Median(restoreTimes):F0} MiB/s of guest state");
            return 0;
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static void Row(string what, double value, string unit, string note) =>
        Console.WriteLine($"{what,-42} {value,10:F1} {unit,-3} {note}");

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static async Task UntilAsync(IGuestConsole console, StringBuilder seen, string text, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!seen.ToString().Contains(text, StringComparison.Ordinal))
        {
            seen.Append(Encoding.UTF8.GetString(await console.Output.ReadAsync(cts.Token)));
        }
    }
}
