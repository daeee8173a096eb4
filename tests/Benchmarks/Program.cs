namespace Ringmaster.Benchmarks;

/// <summary>
/// End-to-end benchmarks, one per first argument:
/// <c>dotnet run -c Release --project tests/Benchmarks -- containers [iterations]</c>;
/// <c>seed-machines DATA [count]</c> fills a data folder for <c>bench-api.sh</c>.
/// </summary>
public static class Program
{
    private static readonly Dictionary<string, Func<string[], Task<int>>> s_benchmarks = new()
    {
        ["containers"] = ContainerBenchmark.RunAsync,
        ["seed-machines"] = SeedMachines.RunAsync,
        ["scaling"] = ScalingBenchmark.RunAsync,
        ["snapshots"] = SnapshotBenchmark.RunAsync,
        ["migration"] = MigrationBenchmark.RunAsync,
        ["metrics"] = MetricsBenchmark.RunAsync,
        ["inventory-storm"] = InventoryStormBenchmark.RunAsync,
        ["qemu-boot"] = QemuBootBenchmark.RunAsync,
    };

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || !s_benchmarks.TryGetValue(args[0], out var run))
        {
            Console.Error.WriteLine($"usage: Ringmaster.Benchmarks <{string.Join('|', s_benchmarks.Keys)}> [options]");
            return 2;
        }

        return await run(args[1..]);
    }
}
