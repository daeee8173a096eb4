using System.Diagnostics;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Common;

/// <summary>Runs one of the host's command-line tools (qemu-img, genisoimage) and says what it said when it fails.</summary>
internal static class HostTool
{
    /// <summary>Runs <paramref name="program"/> and returns its output; a <see cref="GuestException"/> with its error output when it fails, or naming Debian's <paramref name="package"/> when it is missing.</summary>
    public static async Task<string> RunAsync(string program, string package, CancellationToken cancellationToken, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        InheritedDescriptors.MarkCloseOnExec();
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new GuestException($"{program} did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new GuestException($"{program} could not be started ({e.Message}); is Debian's {package} package installed?", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                throw;
            }

            if (process.ExitCode != 0)
            {
                throw new GuestException($"{program} {arguments.FirstOrDefault()} failed: {(await error.ConfigureAwait(false)).Trim()}");
            }

            return await output.ConfigureAwait(false);
        }
    }
}
