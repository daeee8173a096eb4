using System.Diagnostics;

namespace Ringmaster.Agents.Tests.Containers;

/// <summary>The podman command line, to check what the driver did from the engine's side.</summary>
internal static class Podman
{
    public const string Missing =
        "podman is not installed: these tests need a real Podman. Run `sudo scripts/setup-podman.sh` first (the repository's test script does).";

    /// <summary>Fails (never skips) when Podman is missing.</summary>
    public static void EnsureInstalled()
    {
        if (!File.Exists("/usr/bin/podman") && !File.Exists("/usr/local/bin/podman"))
        {
            throw new InvalidOperationException(Missing);
        }
    }

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        EnsureInstalled();
        var start = new ProcessStartInfo("podman") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await output).Trim(), (await error).Trim());
    }

    /// <summary>Names of all containers the engine has, running or not.</summary>
    public static async Task<IReadOnlyList<string>> AllContainerNamesAsync()
    {
        var (code, output, error) = await RunAsync("ps", "-a", "--format", "{{.Names}}");
        Assert.True(code == 0, $"podman ps failed: {error}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static async Task<string> InspectAsync(string container, string format)
    {
        var (code, output, error) = await RunAsync("container", "inspect", "--format", format, container);
        Assert.True(code == 0, $"podman inspect {container} failed: {error}");
        return output;
    }
}
