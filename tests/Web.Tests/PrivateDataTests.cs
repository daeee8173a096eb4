using System.Net;
using System.Net.Http.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// What Ringmaster stores (the database with password and token hashes and the audit, VM disks,
/// memory states, snapshots, backups, images) is readable by its own user only: folders 0700,
/// files 0600, including what an earlier run left readable by others.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PrivateDataTests
{
    private const UnixFileMode GroupAndOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Every entry under <paramref name="folder"/> (itself included, links not followed) that group or others may use, as "mode path".</summary>
    private static List<string> Exposed(string folder)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false };
        return [.. new FileSystemInfo[] { new DirectoryInfo(folder) }
            .Concat(new DirectoryInfo(folder).EnumerateFileSystemInfos("*", options))
            .Where(e => (e.UnixFileMode & GroupAndOthers) != 0)
            .Select(e => $"{Convert.ToString((int)e.UnixFileMode, 8)} {e.FullName}")];
    }

    [Fact]
    public async Task Run_VmWithMemorySnapshotAndBackup_NoFileReadableByGroupOrOthers()
    {
        await using var factory = new RingmasterFactory { Embedded = true };
        var api = new ApiClient(factory.StartKestrel());
        await HttpJson.EventuallyAsync(
            () => api.GetAsync("/api/v1/hosts"),
            page => page.GetProperty("items").EnumerateArray().Any(h => h.GetProperty("online").GetBoolean()),
            TimeSpan.FromSeconds(60), "the embedded host online");

        await api.CreateMachineAsync(new { name = "private-vm", template = "default", memoryMiB = 128 }, TimeSpan.FromMinutes(3));
        await api.WaitSucceededAsync(await api.StartOperationAsync(HttpMethod.Post, "/api/v1/machines/private-vm/snapshots", new { name = "s1", description = "with memory", includeMemory = true }), TimeSpan.FromMinutes(3));
        await api.WaitSucceededAsync(await api.StartOperationAsync(HttpMethod.Post, "/api/v1/machines/private-vm/backups", new { includeMemory = true }), TimeSpan.FromMinutes(3));
        Assert.Equal(HttpStatusCode.Created, (await api.Http.PostAsJsonAsync("/api/v1/tokens", new { name = "a secret" })).StatusCode);

        var files = Directory.EnumerateFiles(factory.DataPath, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(factory.DataPath, f)).ToList();
        if (factory.ConnectionString is null)
        {
            // SQLite's file; on PostgreSQL the inventory is in the database server's own folder.
            Assert.Contains("ringmaster.db", files);
            Assert.Contains("ringmaster.db-wal", files);
        }

        Assert.Contains("agent/credential", files);
        Assert.Contains(files, f => f.StartsWith("agent/backups/", StringComparison.Ordinal));
        Assert.Contains(files, f => f.StartsWith("agent/vms/", StringComparison.Ordinal) && f.EndsWith(".state", StringComparison.Ordinal));
        Assert.Contains(files, f => f.StartsWith("agent/vm-layers/", StringComparison.Ordinal));
        var exposed = Exposed(factory.DataPath);
        Assert.True(exposed.Count == 0, "readable by group or others:\n" + string.Join('\n', exposed));
    }

    [Fact]
    public async Task Start_DataLeftReadableByOthers_MadePrivateWithoutFollowingLinks()
    {
        var outside = Path.Combine(Path.GetTempPath(), "ringmaster-outside-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(outside, "not ours");
        File.SetUnixFileMode(outside, (UnixFileMode)0b110_100_100);
        try
        {
            await using var factory = new RingmasterFactory();
            var vms = Directory.CreateDirectory(Path.Combine(factory.DataPath, "agent", "vms", "old-vm")).FullName;
            await File.WriteAllTextAsync(Path.Combine(vms, "disk.raw"), "an old disk");
            await File.WriteAllTextAsync(Path.Combine(factory.DataPath, "join-token"), "left by an earlier version");
            File.CreateSymbolicLink(Path.Combine(factory.DataPath, "link-out"), outside);
            foreach (var dir in new[] { factory.DataPath, Path.Combine(factory.DataPath, "agent"), Path.Combine(factory.DataPath, "agent", "vms"), vms })
            {
                File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
            }

            File.SetUnixFileMode(Path.Combine(vms, "disk.raw"), (UnixFileMode)0b110_100_100);
            File.SetUnixFileMode(Path.Combine(factory.DataPath, "join-token"), (UnixFileMode)0b110_110_110);
            Assert.NotEmpty(Exposed(factory.DataPath));

            using var client = factory.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/machines")).StatusCode);

            var exposed = Exposed(factory.DataPath);
            Assert.True(exposed.Count == 0, "readable by group or others:\n" + string.Join('\n', exposed));
            Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(vms));
            Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(Path.Combine(vms, "disk.raw")));
            Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(outside));
        }
        finally
        {
            File.Delete(outside);
        }
    }
}
