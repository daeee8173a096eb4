using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Ringmaster.Benchmarks;

/// <summary>
/// Scale-out through the whole product: a scaling group's desired count goes from 0 to N with one
/// PATCH (the decision), and the clock runs until all N members are running and the group is stable.
/// Once for busybox containers, once for emulator VMs. Then it says where the time went, from the
/// members' create operations (waiting for a provisioning slot, in the operation, agent steps), and
/// times the way back to 0.
/// </summary>
internal static class ScalingBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var containers = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50;
        var vms = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        var parallel = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
        Console.WriteLine($"scale-out 0 → {containers} busybox containers and 0 → {vms} emulator VMs, {parallel} provisioned at once; {Environment.ProcessorCount} cores");
        await using var product = await RunningProduct.StartAsync();
        if (containers > 0)
        {
            await ScaleAsync(product, "busybox", containers, parallel);
        }

        if (vms > 0)
        {
            await ScaleAsync(product, "default", vms, parallel);
        }

        return 0;
    }

    private static async Task ScaleAsync(RunningProduct product, string template, int count, int parallel)
    {
        var http = product.Http;
        var name = $"bench-{template}-{Guid.NewGuid():N}"[..(template.Length + 12)];
        var created = await http.PostAsJsonAsync("/api/v1/scaling-groups", new { name, template, min = 0, max = count, desired = 0, cooldownSeconds = 0, maxParallel = parallel });
        created.EnsureSuccessStatusCode();

        var clock = Stopwatch.StartNew();
        (await http.PatchAsJsonAsync($"/api/v1/scaling-groups/{name}", new { desired = count })).EnsureSuccessStatusCode();
        double? first = null;
        JsonElement group;
        while (true)
        {
            group = await http.GetFromJsonAsync<JsonElement>($"/api/v1/scaling-groups/{name}");
            var running = group.GetProperty("running").GetInt32();
            if (running > 0 && first is null)
            {
                first = clock.Elapsed.TotalSeconds;
            }

            if (running == count && group.GetProperty("status").GetString() == "stable")
            {
                break;
            }

            if (clock.Elapsed > TimeSpan.FromMinutes(20))
            {
                throw new TimeoutException($"{name}: {running} of {count} running after 20 min: {group.GetProperty("statusDetail")}");
            }

            await Task.Delay(100);
        }

        var total = clock.Elapsed.TotalSeconds;

        // Where the time went: the members' create operations.
        var waits = new List<double>();
        var runs = new List<double>();
        var creates = new List<double>();
        var starts = new List<double>();
        var firstCreated = DateTimeOffset.MaxValue;
        var lastCreated = DateTimeOffset.MinValue;
        foreach (var id in group.GetProperty("members").EnumerateArray())
        {
            var ops = await http.GetFromJsonAsync<JsonElement>($"/api/v1/operations?machine={id.GetString()}&limit=10");
            foreach (var op in ops.GetProperty("items").EnumerateArray().Where(o => o.GetProperty("kind").GetString() == "machine.create"))
            {
                var at = op.GetProperty("createdAt").GetDateTimeOffset();
                var started = op.GetProperty("startedAt").GetDateTimeOffset();
                var ended = op.GetProperty("endedAt").GetDateTimeOffset();
                waits.Add((started - at).TotalSeconds);
                runs.Add((ended - started).TotalSeconds);

                // The operation's log stamps its steps: "Creating …" (the agent makes the guest), "Starting …" (the agent starts it).
                var full = await http.GetFromJsonAsync<JsonElement>($"/api/v1/operations/{op.GetProperty("id").GetString()}");
                var steps = (full.GetProperty("log").GetString() ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Select(l => (At: TimeSpan.TryParse(l.Split(' ')[0], CultureInfo.InvariantCulture, out var t) ? t : (TimeSpan?)null, Line: l)).ToList();
                var creating = steps.FirstOrDefault(x => x.Line.Contains(" Creating ", StringComparison.Ordinal)).At;
                var starting = steps.FirstOrDefault(x => x.Line.Contains(" Starting ", StringComparison.Ordinal)).At;
                if (creating is { } c && starting is { } st)
                {
                    creates.Add((st - c).TotalSeconds);
                    starts.Add((ended.UtcDateTime.TimeOfDay - st).TotalSeconds);
                }
                firstCreated = at < firstCreated ? at : firstCreated;
                lastCreated = at > lastCreated ? at : lastCreated;
            }
        }

        var back = Stopwatch.StartNew();
        (await http.PatchAsJsonAsync($"/api/v1/scaling-groups/{name}", new { desired = 0 })).EnsureSuccessStatusCode();
        while ((await http.GetFromJsonAsync<JsonElement>($"/api/v1/scaling-groups/{name}")).GetProperty("members").GetArrayLength() > 0)
        {
            await Task.Delay(100);
        }

        var scaleIn = back.Elapsed.TotalSeconds;
        var delete = await http.DeleteAsync($"/api/v1/scaling-groups/{name}");
        delete.EnsureSuccessStatusCode();

        runs.Sort();
        Console.WriteLine();
        Console.WriteLine($"{template}: 0 → {count} in {total:0.0} s (first member running after {first:0.0} s); back to 0 in {scaleIn:0.0} s");
        Console.WriteLine($"  create operations: {runs.Count}, issued over {(lastCreated - firstCreated).TotalSeconds:0.0} s in batches of at most {parallel}");
        Console.WriteLine($"  each create (operation start → member running): median {Percentile(runs, 0.5):0.00} s, p90 {Percentile(runs, 0.9):0.00} s, max {runs.LastOrDefault():0.00} s");
        creates.Sort();
        starts.Sort();
        Console.WriteLine($"    of which the agent's create: median {Percentile(creates, 0.5):0.00} s, p90 {Percentile(creates, 0.9):0.00} s; its start: median {Percentile(starts, 0.5):0.00} s, p90 {Percentile(starts, 0.9):0.00} s");
        Console.WriteLine($"  waiting in the operation queue: max {(waits.Count == 0 ? 0 : waits.Max()):0.00} s");
        Console.WriteLine($"  ideal with {parallel} at once and that median: {Math.Ceiling(count / (double)parallel) * Percentile(runs, 0.5):0.0} s; measured / ideal = {total / Math.Max(0.01, Math.Ceiling(count / (double)parallel) * Percentile(runs, 0.5)):0.00}");
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
