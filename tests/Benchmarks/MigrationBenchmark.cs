using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Ringmaster.Shared;

namespace Ringmaster.Benchmarks;

/// <summary>
/// Live migration of a 256 MiB VM running a workload between two agent processes (the web without
/// its embedded agent, and two standalone agents on loopback), back and forth N times: median and
/// p90 of total time and downtime, bytes, rounds, and where the downtime went.
/// </summary>
internal static class MigrationBenchmark
{
    private const string Workload =
        "dd if=/dev/urandom of=/data bs=1M count=64 2>/dev/null; echo filled-$((1+1))\n";

    private const string Loops =
        "(while true; do dd if=/dev/urandom of=/hot bs=64k count=4 2>/dev/null; sleep 0.05; done) & i=0; while true; do i=$((i+1)); echo c$i; sleep 0.1; done\n";

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var root = SourceCheckout.Root ?? throw new InvalidOperationException("Console.sln not found above the benchmark.");
        var webDll = Path.Combine(root, "src/Web/bin/Release/net10.0/Ringmaster.Web.dll");
        var agentDll = Path.Combine(root, "src/Agents/bin/Release/net10.0/ringmaster-agent.dll");
        var data = Directory.CreateTempSubdirectory("ringmaster-bench-migrate-").FullName;
        var token = "bench-" + Guid.NewGuid().ToString("N");
        var port = FreePort();
        var processes = new List<Process>();
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        try
        {
            processes.Add(Start(webDll, [$"--urls=http://127.0.0.1:{port}"], new()
            {
                ["RINGMASTER_DATA"] = Path.Combine(data, "web"),
                ["RINGMASTER_JOIN_TOKEN"] = token,
                ["RINGMASTER_BOOTSTRAP_TOKEN"] = RunningProduct.BenchToken,
                ["Access__TokenRequestsPerMinute"] = "0",
                ["Agent__Embedded"] = "false",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Logging__LogLevel__Default"] = "Warning",
            }, output));
            foreach (var name in new[] { "bench-a", "bench-b" })
            {
                processes.Add(Start(agentDll, ["--server", $"http://127.0.0.1:{port}", "--token", token, "--data", Path.Combine(data, name), "--name", name], new()
                {
                    ["DOTNET_ENVIRONMENT"] = "Production",
                    ["Logging__LogLevel__Default"] = "Warning",
                }, output));
            }

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
            http.DefaultRequestHeaders.Authorization = new("Bearer", RunningProduct.BenchToken);
            await UntilAsync(async () =>
            {
                var hosts = await http.GetFromJsonAsync<JsonElement>("/api/v1/hosts");
                return hosts.GetProperty("items").EnumerateArray().Count(h => h.GetProperty("online").GetBoolean()) == 2;
            }, TimeSpan.FromSeconds(90), "both agents online");

            await RunOperationAsync(http, HttpMethod.Post, "/api/v1/machines", new { name = "bench-vm", template = "default", memoryMiB = 256, host = "bench-a" });
            using (var console = new ClientWebSocket())
            {
                console.Options.SetRequestHeader("Authorization", "Bearer " + RunningProduct.BenchToken);
                await console.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/api/v1/machines/bench-vm/console"), CancellationToken.None);
                await ReadUntilAsync(console, "~ # ", TimeSpan.FromMinutes(3));
                await TypeAsync(console, Workload);
                await ReadUntilAsync(console, "filled-2", TimeSpan.FromMinutes(5));
                await TypeAsync(console, Loops);
                await ReadUntilAsync(console, "c20", TimeSpan.FromMinutes(1));
            }

            Console.WriteLine($"VM: 256 MiB, default image; workload: 64 MiB of random data in tmpfs, a loop rewriting 256 KiB every 50 ms, a counter printed every 100 ms; {runs} live migrations; {Environment.ProcessorCount} cores");
            Console.WriteLine("run  to       total ms  downtime ms  stop-copy  relay  load  final pages      bytes  rounds");
            var results = new List<JsonElement>();
            for (var i = 0; i < runs; i++)
            {
                var target = i % 2 == 0 ? "bench-b" : "bench-a";
                var operation = await RunOperationAsync(http, HttpMethod.Post, "/api/v1/machines/bench-vm/migrate", new { host = target, live = true });
                var r = operation.GetProperty("result");
                results.Add(r);
                var d = r.GetProperty("downtime");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{i + 1,3}  {target,-7} {r.GetProperty("totalMs").GetDouble(),9:0.0}  {r.GetProperty("downtimeMs").GetDouble(),11:0.0}  {d.GetProperty("stopCopyMs").GetDouble(),9:0.0}  {d.GetProperty("relayMs").GetDouble(),5:0.0}  {d.GetProperty("loadMs").GetDouble(),4:0.0}  {d.GetProperty("finalPages").GetInt64(),11}  {r.GetProperty("bytes").GetInt64(),9}  {r.GetProperty("rounds").GetInt32(),6}"));
                await Task.Delay(1000);
            }

            Summary("total ms", results.Select(r => r.GetProperty("totalMs").GetDouble()));
            Summary("downtime ms", results.Select(r => r.GetProperty("downtimeMs").GetDouble()));
            Summary("  stop-and-copy ms (source, paused)", results.Select(r => r.GetProperty("downtime").GetProperty("stopCopyMs").GetDouble()));
            Summary("  relay ms (source → server → target)", results.Select(r => r.GetProperty("downtime").GetProperty("relayMs").GetDouble()));
            Summary("  load+resume ms (target)", results.Select(r => r.GetProperty("downtime").GetProperty("loadMs").GetDouble()));
            Summary("pages copied while paused", results.Select(r => (double)r.GetProperty("downtime").GetProperty("finalPages").GetInt64()));
            Summary("MiB moved", results.Select(r => r.GetProperty("bytes").GetInt64() / 1048576.0));
            Summary("rounds", results.Select(r => (double)r.GetProperty("rounds").GetInt32()));
            var downtimes = results.Select(r => r.GetProperty("downtimeMs").GetDouble()).Order().ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"goal: downtime median < 50 ms: {(Percentile(downtimes, 0.5) < 50 ? "met" : "not met")}"));
            return 0;
        }
        catch
        {
            Console.Error.WriteLine("The processes' last output:");
            foreach (var line in output.TakeLast(40))
            {
                Console.Error.WriteLine(line);
            }

            throw;
        }
        finally
        {
            foreach (var p in processes)
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    await p.WaitForExitAsync();
                }

                p.Dispose();
            }

            Directory.Delete(data, recursive: true);
        }
    }

    private static void Summary(string what, IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: median {Percentile(sorted, 0.5):0.0}, p90 {Percentile(sorted, 0.9):0.0}, min {sorted[0]:0.0}, max {sorted[^1]:0.0}"));
    }

    private static double Percentile(List<double> sorted, double p)
    {
        var rank = p * (sorted.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    private static async Task<JsonElement> RunOperationAsync(HttpClient http, HttpMethod method, string path, object body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        var location = response.Headers.Location!;
        while (true)
        {
            var operation = await http.GetFromJsonAsync<JsonElement>(location);
            switch (operation.GetProperty("state").GetString())
            {
                case "Succeeded":
                    return operation;
                case "Failed" or "Cancelled":
                    throw new InvalidOperationException($"{method} {path}: {operation}");
            }

            await Task.Delay(50);
        }
    }

    private static Task TypeAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Binary, true, CancellationToken.None);

    private static async Task ReadUntilAsync(ClientWebSocket socket, string marker, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var seen = new StringBuilder();
        var buffer = new byte[8192];
        while (!seen.ToString().Contains(marker, StringComparison.Ordinal))
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            seen.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
    }

    private static async Task UntilAsync(Func<Task<bool>> probe, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await probe())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
    }

    private static void Keep(System.Collections.Concurrent.ConcurrentQueue<string> output, string who, string? line)
    {
        if (line is null)
        {
            return;
        }

        output.Enqueue($"{who}: {line}");
        while (output.Count > 200)
        {
            output.TryDequeue(out _);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Process Start(string dll, string[] args, Dictionary<string, string> environment, System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }

        info.Environment.Remove("RINGMASTER_JOIN_TOKEN");
        if (environment.TryGetValue("RINGMASTER_JOIN_TOKEN", out var token))
        {
            info.Environment["RINGMASTER_JOIN_TOKEN"] = token;
        }

        var process = Process.Start(info)!;
        var name = Path.GetFileNameWithoutExtension(dll);
        process.OutputDataReceived += (_, e) => Keep(output, name, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(output, name, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
