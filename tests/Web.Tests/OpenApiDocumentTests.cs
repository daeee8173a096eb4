using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// The API's description is one a client generator or a gateway can use: it passes Redocly's
/// recommended rules, every operation has a stable operationId, a summary and the problems it can
/// answer, and a client Kiota generates from it compiles and lists machines.
/// </summary>
public sealed class OpenApiDocumentTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("rm-openapi-");
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _factory.StartKestrel();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        _work.Delete(recursive: true);
    }

    private async Task<string> SaveDocumentAsync()
    {
        var path = Path.Combine(_work.FullName, "openapi.json");
        await File.WriteAllTextAsync(path, await _client.GetStringAsync("/openapi/v1.json"));
        return path;
    }

    [Fact]
    public async Task Document_LintedWithRedoclysRecommendedRules_NoError()
    {
        var document = await SaveDocumentAsync();
        var tool = Path.Combine(RingmasterProcess.RepoRoot, "tools", "openapi-lint");
        Assert.True(File.Exists(Path.Combine(tool, "node_modules", ".bin", "redocly")), $"Redocly is not installed in {tool}: run `npm ci` there (./test.sh does).");

        var (exit, output) = await RunAsync(Path.Combine(tool, "node_modules", ".bin", "redocly"), tool, "lint", document, "--config", Path.Combine(tool, "redocly.yaml"), "--format=stylish");

        Assert.True(exit == 0, $"redocly lint found errors:\n{output}");
    }

    [Fact]
    public async Task Document_EveryOperation_HasAnIdASummaryAndItsProblems()
    {
        using var document = JsonDocument.Parse(await _client.GetStringAsync("/openapi/v1.json"));
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var failures = new List<string>();
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "patch" or "delete"))
            {
                var where = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                if (!operation.Value.TryGetProperty("operationId", out var id) || !ids.Add(id.GetString()!))
                {
                    failures.Add($"{where}: no operationId, or one used twice");
                }

                if (!operation.Value.TryGetProperty("summary", out var summary) || string.IsNullOrWhiteSpace(summary.GetString()))
                {
                    failures.Add($"{where}: no summary");
                }

                var problems = operation.Value.GetProperty("responses").EnumerateObject().Where(r => r.Name.StartsWith('4')).ToList();
                // The probes answer 200 or 503, never a problem of the caller's making.
                if (path.Name is not ("/healthz" or "/readyz") && problems.Count == 0)
                {
                    failures.Add($"{where}: no 4xx answer described");
                }

                if (path.Name.StartsWith("/api/v1/", StringComparison.Ordinal) && !path.Name.StartsWith("/api/v1/auth/login", StringComparison.Ordinal)
                    && problems.All(p => p.Name != "401"))
                {
                    failures.Add($"{where}: needs sign-in but does not say 401");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(document.RootElement.GetProperty("tags").EnumerateArray().All(t => t.TryGetProperty("description", out _)), "every tag has a description");
    }

    [Fact]
    public async Task GeneratedClient_Kiota_CompilesAndListsMachines()
    {
        await using (var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync())
        {
            db.Machines.Add(new MachineEntity
            {
                Id = Guid.NewGuid(), Name = "listed-by-kiota", Kind = MachineKind.Container, Template = "busybox", Image = "ringmaster/busybox:latest",
                Spec = new MachineSpec(1, 64, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]), State = MachineState.Stopped,
                CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        var document = await SaveDocumentAsync();
        var project = Path.Combine(_work.FullName, "client");
        Directory.CreateDirectory(project);
        var assets = Path.Combine(RingmasterProcess.RepoRoot, "tests", "Web.Tests", "GeneratedClient");
        File.Copy(Path.Combine(assets, "ClientCheck.csproj.txt"), Path.Combine(project, "ClientCheck.csproj"));
        File.Copy(Path.Combine(assets, "Program.cs.txt"), Path.Combine(project, "Program.cs"));

        var (generated, generateLog) = await RunAsync("dotnet", RingmasterProcess.RepoRoot, "tool", "run", "kiota", "generate", "-l", "CSharp", "-d", document,
            "-o", Path.Combine(project, "Client"), "-c", "RingmasterApiClient", "-n", "Ringmaster.Generated", "--exclude-backward-compatible", "--log-level", "Error");
        Assert.True(generated == 0, $"kiota generate failed:\n{generateLog}");
        var (built, buildLog) = await RunAsync("dotnet", project, "build", "-c", "Release", "-nologo", "-v:q", "-o", Path.Combine(project, "out"));
        Assert.True(built == 0, $"the generated client does not compile:\n{buildLog}");

        var (ran, output) = await RunAsync("dotnet", project, Path.Combine(project, "out", "ClientCheck.dll"), _client.BaseAddress!.ToString().TrimEnd('/'), TestAccess.BootstrapToken);

        Assert.True(ran == 0, output);
        Assert.Contains("machine listed-by-kiota Stopped default", output);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, string directory, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
