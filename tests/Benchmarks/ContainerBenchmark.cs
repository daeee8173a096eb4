using System.Diagnostics;
using System.Globalization;
using Ringmaster.Agents.Drivers.Containers;
using Ringmaster.Agents.Tests;
using Ringmaster.Contracts;

namespace Ringmaster.Benchmarks;

/// <summary>
/// Create+start latency of a busybox container through the whole product (REST API → operation → agent
/// hub → agent → driver, the web with its embedded agent in a process of its own), through
/// the container driver alone (<see cref="TestEngine.Containers"/>), and through the <c>podman</c> command line (<c>podman run -d</c>, same
/// image and limits), in one run. The paths take turns so that load from others on the machine falls
/// on all alike. Removal is not timed.
/// </summary>
internal static class ContainerBenchmark
{
    private const int Vcpus = 1;
    private const int MemoryMiB = 64;
    private const int Warmup = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        var iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        using var driver = TestEngine.Containers(new ContainerDriverOptions());
        var engine = await driver.Get<ContainerEngineClient>().GetEngineInfoAsync(CancellationToken.None);
        Console.WriteLine($"engine: {engine.Name} {engine.Version} at {engine.Endpoint}; {iterations} runs each after {Warmup} warm-up runs; {Environment.ProcessorCount} cores");

        // The first create imports the built-in image; it is not what is measured.
        var seed = Definition("seed");
        await driver.Lifecycle.CreateAsync(seed, new Progress<int>(), CancellationToken.None);
        await driver.Lifecycle.DeleteAsync(seed.Id, CancellationToken.None);

        await using var product = await RunningProduct.StartAsync();
        var viaApi = new List<double>();
        var viaDriver = new List<double>();
        var viaCli = new List<double>();
        for (var i = 0; i < Warmup + iterations; i++)
        {
            var a = await TimeApiAsync(product, i);
            var d = await TimeDriverAsync(driver, i);
            var c = await TimeCliAsync(i);
            if (i >= Warmup)
            {
                viaApi.Add(a);
                viaDriver.Add(d);
                viaCli.Add(c);
            }
        }

        Console.WriteLine();
        Console.WriteLine("create+start of a busybox container (1 vCPU, 64 MiB), milliseconds");
        Console.WriteLine($"{"path",-28} {"median",8} {"p90",8} {"min",8} {"max",8}");
        Row("REST API via agent", viaApi);
        Row("ContainerDriver alone", viaDriver);
        Row("podman run -d (CLI)", viaCli);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio: agent (REST API) median / podman CLI median = {Percentile(viaApi, 50) / Percentile(viaCli, 50):0.00}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio: driver median / podman CLI median = {Percentile(viaDriver, 50) / Percentile(viaCli, 50):0.00}"));
        return 0;
    }

    private static GuestDefinition Definition(string tag) => new(
        Guid.NewGuid(),
        $"rmbench-{tag}-{Guid.NewGuid().ToString("N")[..8]}",
        MachineKind.Container,
        ContainerImages.BuiltInImage,
        [],
        new MachineSpec(Vcpus, MemoryMiB, [], []),
        new Dictionary<string, string> { ["bench"] = "containers" });

    private static async Task<double> TimeApiAsync(RunningProduct product, int i)
    {
        var name = $"rmbench-rest{i}-{Guid.NewGuid().ToString("N")[..8]}";
        var watch = Stopwatch.StartNew();
        var operation = await product.RunOperationAsync(HttpMethod.Post, "/api/v1/machines", new { name, template = "busybox", vcpus = Vcpus, memoryMiB = MemoryMiB });
        var elapsed = watch.Elapsed.TotalMilliseconds;
        if (operation.GetProperty("result").GetProperty("state").GetString() != "Running")
        {
            throw new InvalidOperationException($"{name} is not running after create: {operation}");
        }

        await product.RunOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{name}", null);
        return elapsed;
    }

    private static async Task<double> TimeDriverAsync(TestEngine driver, int i)
    {
        var definition = Definition($"api{i}");
        var watch = Stopwatch.StartNew();
        await driver.Lifecycle.CreateAsync(definition, new Progress<int>(), CancellationToken.None);
        var info = await driver.Lifecycle.StartAsync(definition.Id, CancellationToken.None);
        var elapsed = watch.Elapsed.TotalMilliseconds;
        if (info.State != MachineState.Running)
        {
            throw new InvalidOperationException($"{definition.Name} is {info.State} after start.");
        }

        await driver.Lifecycle.DeleteAsync(definition.Id, CancellationToken.None);
        return elapsed;
    }

    private static async Task<double> TimeCliAsync(int i)
    {
        var name = $"rmbench-cli{i}-{Guid.NewGuid().ToString("N")[..8]}";
        var watch = Stopwatch.StartNew();
        var (code, error) = await PodmanAsync(
            "run", "-d", "-t", "-i", "--name", name,
            "--cpus", Vcpus.ToString(CultureInfo.InvariantCulture), "--memory", $"{MemoryMiB}m",
            "--label", "ringmaster.bench=containers",
            ContainerImages.BuiltInImage, "sh");
        var elapsed = watch.Elapsed.TotalMilliseconds;
        if (code != 0)
        {
            throw new InvalidOperationException($"podman run failed: {error}");
        }

        await PodmanAsync("rm", "-f", "-t", "0", name);
        return elapsed;
    }

    private static async Task<(int Code, string Error)> PodmanAsync(params string[] args)
    {
        var start = new ProcessStartInfo("podman") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not run podman");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await stdout;
        return (process.ExitCode, await stderr);
    }

    private static void Row(string path, List<double> samples) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{path,-28} {Percentile(samples, 50),8:0.0} {Percentile(samples, 90),8:0.0} {samples.Min(),8:0.0} {samples.Max(),8:0.0}"));

    /// <summary>Nearest-rank percentile.</summary>
    private static double Percentile(List<double> samples, int percent)
    {
        var sorted = samples.Order().ToList();
        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}
