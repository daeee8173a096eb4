using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Ringmaster.Shared;

namespace Ringmaster.Benchmarks;

/// <summary>
/// Create + start → the first prompt on the serial console, for the x86_64 images on QEMU through
/// Ringmaster (REST API, console WebSocket), beside the very QEMU command line Ringmaster ran started
/// by hand (its disk layer made with qemu-img as Ringmaster does, the console read from QEMU's log
/// file), and beside an emulator VM of the default RISC-V image through Ringmaster. Medians of N runs,
/// reported as ratios (goal: Ringmaster adds under 10 % to QEMU by hand).
/// </summary>
internal static class QemuBootBenchmark
{
    private sealed record Image(string Template, string Marker, int DiskGiB);

    private static readonly Image[] s_images = [new("x86-small", "~ # ", 1), new("debian-12", "login:", 4)];

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        await using var product = await RunningProduct.StartAsync();
        try
        {
            return await MeasureAsync(product, runs);
        }
        finally
        {
            // QEMU outlives the web on purpose; a benchmark that stopped half-way must not leave one running.
            foreach (var pidFile in Directory.GetFiles(product.Data, "qemu.pid", SearchOption.AllDirectories))
            {
                try
                {
                    using var qemu = Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture));
                    qemu.Kill();
                }
                catch (ArgumentException)
                {
                }
            }
        }
    }

    private static async Task<int> MeasureAsync(RunningProduct product, int runs)
    {
        var results = new List<(string What, List<double> Seconds)>();
        foreach (var image in s_images)
        {
            var viaRingmaster = new List<double>();
            var byHand = new List<double>();
            for (var run = 0; run < runs; run++)
            {
                var (seconds, commandLine) = await ThroughRingmasterAsync(product, image.Template, image.Marker, run);
                viaRingmaster.Add(seconds);
                byHand.Add(await ByHandAsync(commandLine, image, run));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{image.Template,-10} run {run + 1}: Ringmaster {viaRingmaster[^1],6:0.00} s, QEMU by hand {byHand[^1],6:0.00} s"));
            }

            results.Add(($"{image.Template} through Ringmaster", viaRingmaster));
            results.Add(($"{image.Template} QEMU by hand", byHand));
        }

        var emulator = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            emulator.Add((await ThroughRingmasterAsync(product, "default", "~ # ", run)).Seconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"default    run {run + 1}: Ringmaster emulator {emulator[^1],6:0.00} s"));
        }

        results.Add(("default (RISC-V emulator) through Ringmaster", emulator));
        var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        Console.WriteLine();
        Console.WriteLine($"create + start → serial prompt, median of {runs} runs, TCG on this host ({Environment.ProcessorCount} cores, load average {load})");
        foreach (var (what, seconds) in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what,-46} {Median(seconds),7:0.00} s  (min {seconds.Min():0.00}, max {seconds.Max():0.00})"));
        }

        foreach (var image in s_images)
        {
            var ratio = Median(results.Single(r => r.What == $"{image.Template} through Ringmaster").Seconds) / Median(results.Single(r => r.What == $"{image.Template} QEMU by hand").Seconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio {image.Template}: Ringmaster / QEMU by hand = {ratio:0.000} (goal < 1.10: {(ratio < 1.10 ? "met" : "not met")})"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio: emulator default / QEMU x86-small (both through Ringmaster) = {Median(emulator) / Median(results[0].Seconds):0.00}"));
        return 0;
    }

    /// <summary>Seconds from the create request to the marker on the machine's console, and the QEMU command line that ran it (null for the emulator).</summary>
    private static async Task<(double Seconds, string[]? CommandLine)> ThroughRingmasterAsync(RunningProduct product, string template, string marker, int run)
    {
        var name = $"bench-{template}-{run}";
        var clock = Stopwatch.StartNew();
        var created = await product.Http.PostAsJsonAsync("/api/v1/machines", new { name, template, start = true });
        if (!created.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"create {template}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        }

        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("machine").GetProperty("id").GetGuid();
        using (var console = await ConnectConsoleAsync(product, name))
        {
            await ReadUntilAsync(console, marker, TimeSpan.FromMinutes(10));
        }

        var seconds = clock.Elapsed.TotalSeconds;
        string[]? commandLine = null;
        if (Directory.GetFiles(product.Data, "qemu.pid", SearchOption.AllDirectories).FirstOrDefault(f => Path.GetFileName(Path.GetDirectoryName(f)) == id.ToString("N")) is { } pidFile)
        {
            var pid = File.ReadAllText(pidFile).Trim();
            commandLine = File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Split('\0');
        }

        await product.RunOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{name}", null);
        return (seconds, commandLine);
    }

    /// <summary>Seconds from making the disk layer to the marker in the console log, for Ringmaster's own QEMU command line run in a folder of its own.</summary>
    private static async Task<double> ByHandAsync(string[]? ringmasterCommandLine, Image image, int run)
    {
        if (ringmasterCommandLine is null)
        {
            throw new InvalidOperationException("Ringmaster's QEMU command line could not be read.");
        }

        var pidFile = ringmasterCommandLine[Array.IndexOf(ringmasterCommandLine, "-pidfile") + 1];
        var ringmasterFolder = Path.GetDirectoryName(pidFile)!;
        var folder = Directory.CreateTempSubdirectory($"rm-bench-hand-{run}-").FullName;
        try
        {
            var arguments = ringmasterCommandLine.Skip(1).Where(a => a is not "-daemonize" and not "-S").Select(a => a.Replace(ringmasterFolder, folder, StringComparison.Ordinal)).ToList();
            var clock = Stopwatch.StartNew();
            var images = Path.Combine(SourceCheckout.Root!, ".state", "images", image.Template);
            var disk = Path.Combine(folder, "disk.qcow2");
            var baseDisk = Path.Combine(images, "disk.qcow2");
            await RunAsync("qemu-img", File.Exists(baseDisk)
                ? ["create", "-q", "-f", "qcow2", "-b", baseDisk, "-F", "qcow2", disk, $"{image.DiskGiB}G"]
                : ["create", "-q", "-f", "qcow2", disk, $"{image.DiskGiB}G"]);
            using var qemu = Process.Start(new ProcessStartInfo(ringmasterCommandLine[0], arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            try
            {
                // A reader on the serial socket, as a user's console would be (a UART nobody reads is
                // throttled by QEMU); the prompt is looked for in what it reads.
                var serial = Path.Combine(folder, "serial.sock");
                var deadline = DateTime.UtcNow.AddMinutes(10);
                using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                while (true)
                {
                    try
                    {
                        await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(serial));
                        break;
                    }
                    catch (System.Net.Sockets.SocketException) when (!qemu.HasExited && DateTime.UtcNow < deadline)
                    {
                        await Task.Delay(5);
                    }
                }

                var seen = new StringBuilder();
                var buffer = new byte[16384];
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
                while (!seen.ToString().Contains(image.Marker, StringComparison.Ordinal))
                {
                    var count = await socket.ReceiveAsync(buffer, timeout.Token);
                    if (count == 0)
                    {
                        throw new InvalidOperationException($"QEMU by hand closed its console before '{image.Marker}': {await qemu.StandardError.ReadToEndAsync()}");
                    }

                    seen.Append(Encoding.UTF8.GetString(buffer, 0, count));
                }

                return clock.Elapsed.TotalSeconds;
            }
            finally
            {
                qemu.Kill();
                await qemu.WaitForExitAsync();
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The machine's console WebSocket, once the agent has the machine (the console then replays this boot's output).</summary>
    private static async Task<ClientWebSocket> ConnectConsoleAsync(RunningProduct product, string name)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer " + RunningProduct.BenchToken);
            try
            {
                await socket.ConnectAsync(new Uri($"ws://{product.Http.BaseAddress!.Authority}/api/v1/machines/{name}/console"), CancellationToken.None);
                return socket;
            }
            catch (WebSocketException) when (DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                await Task.Delay(20);
            }
        }
    }

    private static async Task ReadUntilAsync(ClientWebSocket socket, string marker, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var seen = new StringBuilder();
        var buffer = new byte[16384];
        while (!seen.ToString().Contains(marker, StringComparison.Ordinal))
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"The console closed before '{marker}': {seen}");
            }

            seen.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
    }

    private static async Task RunAsync(string program, string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed: {error}");
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
