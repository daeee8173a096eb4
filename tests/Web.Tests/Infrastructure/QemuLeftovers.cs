using System.Diagnostics;
using System.Globalization;

namespace Ringmaster.Web.Tests.Infrastructure;

/// <summary>QEMU outlives the web on purpose; a test that failed half-way must not leave one running.</summary>
public static class QemuLeftovers
{
    /// <summary>Kills every QEMU whose pidfile (<c>qemu.pid</c>) lies under <paramref name="data"/>.</summary>
    public static void KillUnder(string data)
    {
        foreach (var pidFile in Directory.GetFiles(data, "qemu.pid", SearchOption.AllDirectories))
        {
            if (!int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                using var qemu = Process.GetProcessById(pid);
                if (qemu.ProcessName.StartsWith("qemu", StringComparison.Ordinal))
                {
                    qemu.Kill();
                }
            }
            catch (ArgumentException)
            {
                // already gone
            }
        }
    }
}
