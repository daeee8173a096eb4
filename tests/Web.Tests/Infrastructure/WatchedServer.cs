using System.Diagnostics;

namespace Ringmaster.Web.Tests.Infrastructure;

/// <summary>
/// A server the tests start (Redis, nginx): in a session of its own, through a shell that closes what
/// this process inherited (a lock file a caller holds, say), runs the server, and stops it when the
/// test process ends, even when that process is killed before it can stop the server itself.
/// </summary>
internal static class WatchedServer
{
    public static Process Start(string binary, params string[] args)
    {
        var start = new ProcessStartInfo("setsid") { WorkingDirectory = "/", RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["bash", "-c",
            "for fd in $(ls /proc/$$/fd); do if [ \"$fd\" -gt 2 ]; then eval \"exec $fd>&-\"; fi; done 2>/dev/null; " +
            "tester=$1; shift; \"$@\" & server=$!; " +
            "tail --pid=\"$tester\" -f /dev/null & watcher=$!; wait -n; kill $server $watcher 2>/dev/null; wait",
            "bash", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), binary, .. args])
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    /// <summary>Stops the server and its shell, and waits until they are gone.</summary>
    public static async Task StopAsync(Process shell)
    {
        if (!shell.HasExited)
        {
            shell.Kill(entireProcessTree: true);
        }

        await shell.WaitForExitAsync();
        shell.Dispose();
    }
}
