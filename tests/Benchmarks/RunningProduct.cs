using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Ringmaster.Shared;

namespace Ringmaster.Benchmarks;

/// <summary>
/// The product as a user runs it (<c>Ringmaster.Web</c> with its embedded agent) in a process of its
/// own, on a free loopback port with a fresh data folder, driven through its REST API.
/// </summary>
internal sealed class RunningProduct : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _data;

    private RunningProduct(Process process, string data, HttpClient http)
    {
        _process = process;
        _data = data;
        Http = http;
    }

    public HttpClient Http { get; }

    /// <summary>The server's data folder (the embedded agent's VMs are under it).</summary>
    public string Data => _data;

    /// <summary>The admin token the benchmark's server is started with (RINGMASTER_BOOTSTRAP_TOKEN).</summary>
    public const string BenchToken = "rmt_bench-bootstrap-token-0123456789abcdef";

    public static async Task<RunningProduct> StartAsync()
    {
        var root = SourceCheckout.Root ?? throw new InvalidOperationException("Console.sln not found above the benchmark.");
        var dll = Path.Combine(root, "src/Web/bin/Release/net10.0/Ringmaster.Web.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the web in Release first (dotnet build -c Release src/Web): {dll} is missing.");
        }

        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var data = Directory.CreateTempSubdirectory("ringmaster-bench-").FullName;
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add($"--urls=http://127.0.0.1:{port}");
        info.Environment["RINGMASTER_DATA"] = data;
        info.Environment["RINGMASTER_BOOTSTRAP_TOKEN"] = BenchToken;
        info.Environment["Access__TokenRequestsPerMinute"] = "0";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new("Bearer", BenchToken);
        var product = new RunningProduct(process, data, http);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await http.GetAsync("/readyz")).IsSuccessStatusCode)
                {
                    return product;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        await product.DisposeAsync();
        throw new TimeoutException("The web did not become ready within 60 s.");
    }

    /// <summary>Starts a long action and waits for its operation to end; returns the operation.</summary>
    public async Task<JsonElement> RunOperationAsync(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        var response = await Http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        var location = response.Headers.Location!;
        while (true)
        {
            var operation = await Http.GetFromJsonAsync<JsonElement>(location);
            var state = operation.GetProperty("state").GetString();
            if (state is "Succeeded")
            {
                return operation;
            }

            if (state is "Failed" or "Cancelled")
            {
                throw new InvalidOperationException($"{method} {path}: {operation}");
            }

            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Http.Dispose();
        Directory.Delete(_data, recursive: true);
    }
}
