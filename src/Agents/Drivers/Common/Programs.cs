namespace Ringmaster.Agents.Drivers.Common;

/// <summary>Finds the host's programs a driver runs (podman, qemu-system-x86_64, qemu-img).</summary>
public static class Programs
{
    /// <summary>The full path of <paramref name="program"/>: itself when it is a path that exists, else the first match on PATH (and /usr/bin, /usr/sbin); null when none.</summary>
    public static string? Find(string program)
    {
        if (program.Contains('/'))
        {
            return File.Exists(program) ? program : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin").Append("/usr/sbin"))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
