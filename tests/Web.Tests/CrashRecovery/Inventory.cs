using System.Diagnostics;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.CrashRecovery;

/// <summary>What the inventory says, as the API gives it: machines with their snapshots, backups, operations.</summary>
public sealed record Inventory(
    IReadOnlyDictionary<Guid, JsonElement> Machines,
    IReadOnlyDictionary<Guid, IReadOnlyList<(Guid Id, string Name, bool Memory)>> Snapshots,
    IReadOnlyDictionary<Guid, JsonElement> Backups,
    IReadOnlyList<JsonElement> Operations)
{
    public static async Task<Inventory> ReadAsync(ApiClient api)
    {
        var machines = (await api.GetAsync("/api/v1/machines?limit=1000")).GetProperty("items").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetGuid(), m => m.Clone());
        var snapshots = new Dictionary<Guid, IReadOnlyList<(Guid, string, bool)>>();
        foreach (var id in machines.Keys)
        {
            var flat = new List<(Guid, string, bool)>();
            void Walk(JsonElement level)
            {
                foreach (var s in level.EnumerateArray())
                {
                    flat.Add((s.GetProperty("id").GetGuid(), s.GetProperty("name").GetString()!, s.GetProperty("includesMemory").GetBoolean()));
                    Walk(s.GetProperty("children"));
                }
            }

            Walk(await api.GetAsync($"/api/v1/machines/{id}/snapshots"));
            snapshots[id] = flat;
        }

        var backups = (await api.GetAsync("/api/v1/backups")).EnumerateArray().ToDictionary(b => b.GetProperty("id").GetGuid(), b => b.Clone());
        var operations = (await api.GetAsync("/api/v1/operations?limit=1000")).GetProperty("items").EnumerateArray().Select(o => o.Clone()).ToList();
        return new Inventory(machines, snapshots, backups, operations);
    }

    public string? HostOf(Guid machineId) => Machines.TryGetValue(machineId, out var m) ? m.GetProperty("host").GetString() : null;

    /// <summary>
    /// What an agent holds that this inventory does not know: every VM folder is a machine of that
    /// host, every snapshot's memory a snapshot of it, every disk layer needed by a VM or a snapshot,
    /// every archive in the store a backup; nothing half made (temporary names, staging folders).
    /// </summary>
    public IEnumerable<string> UnknownFilesOf(string host, Guid hostId, string data)
    {
        var vms = Path.Combine(data, "vms");
        var layersNeeded = new HashSet<string>();
        if (Directory.Exists(vms))
        {
            foreach (var folder in Directory.EnumerateDirectories(vms))
            {
                var name = Path.GetFileName(folder);
                if (!Guid.TryParseExact(name, "N", out var id) || !Machines.TryGetValue(id, out var machine) || machine.GetProperty("host").GetString() != host)
                {
                    yield return $"{host}: VM folder {name} is no machine of this host in the inventory";
                    continue;
                }

                if (!File.Exists(Path.Combine(folder, "machine.json")))
                {
                    yield return $"{host}: VM folder {name} has no machine.json";
                }

                using var disk = File.Exists(Path.Combine(folder, "disk.json")) ? JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "disk.json"))) : null;
                var top = disk?.RootElement.GetProperty("top").GetString();
                if (disk is not null)
                {
                    layersNeeded.Add(disk.RootElement.GetProperty("layer").GetString()!);
                    if (disk.RootElement.TryGetProperty("moving", out var moving) && moving.ValueKind == JsonValueKind.String)
                    {
                        yield return $"{host}: VM {name} has an unfinished move of {moving.GetString()} into the layer store";
                    }
                }

                foreach (var file in Directory.EnumerateFiles(folder, "top-*.cow").Where(f => Path.GetFileName(f) != top))
                {
                    yield return $"{host}: VM {name} has a top layer its disk state does not name: {Path.GetFileName(file)}";
                }

                var known = Snapshots.GetValueOrDefault(id) ?? [];
                var recordFile = Path.Combine(folder, "snapshots.json");
                using var records = File.Exists(recordFile) ? JsonDocument.Parse(File.ReadAllText(recordFile)) : null;
                foreach (var record in records is null ? [] : records.RootElement.EnumerateArray().ToList())
                {
                    layersNeeded.Add(record.GetProperty("layer").GetString()!);
                    var snapshotId = record.GetProperty("id").GetGuid();
                    if (!known.Any(s => s.Id == snapshotId))
                    {
                        yield return $"{host}: VM {name} holds snapshot {record.GetProperty("name").GetString()} ({snapshotId}), which the inventory does not know";
                    }
                }

                var memory = Path.Combine(folder, "snapshots");
                foreach (var state in Directory.Exists(memory) ? Directory.EnumerateFiles(memory, "*.state") : [])
                {
                    if (!Guid.TryParseExact(Path.GetFileNameWithoutExtension(state), "N", out var snapshotId) || !known.Any(s => s.Id == snapshotId))
                    {
                        yield return $"{host}: VM {name} holds snapshot memory {Path.GetFileName(state)} of no snapshot in the inventory";
                    }
                }
            }
        }

        var store = Path.Combine(data, "vm-layers");
        if (Directory.Exists(store))
        {
            var records = Directory.EnumerateFiles(store, "*.json").Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.Clone()).ToList();
            var parents = records.ToDictionary(r => r.GetProperty("id").GetString()!, r => r.TryGetProperty("parent", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null);
            var live = new HashSet<string>();
            foreach (var needed in layersNeeded)
            {
                for (var at = needed; at is not null && live.Add(at);)
                {
                    at = parents.GetValueOrDefault(at);
                }
            }

            foreach (var record in records.Where(r => !live.Contains(r.GetProperty("id").GetString()!)))
            {
                yield return $"{host}: disk layer {record.GetProperty("id").GetString()} is needed by no VM and no snapshot";
            }

            var files = records.Select(r => r.GetProperty("file").GetString()).ToHashSet();
            foreach (var file in Directory.EnumerateFiles(store).Where(f => !f.EndsWith(".json", StringComparison.Ordinal) && !files.Contains(Path.GetFileName(f))))
            {
                yield return $"{host}: disk layer file {Path.GetFileName(file)} has no record";
            }
        }

        var backups = Path.Combine(data, "backups");
        foreach (var archive in Directory.Exists(backups) ? Directory.EnumerateFiles(backups) : [])
        {
            var name = Path.GetFileName(archive);
            if (!(name.EndsWith(".rmbak", StringComparison.Ordinal) || name.EndsWith(".rmctr", StringComparison.Ordinal))
                || !Guid.TryParseExact(Path.GetFileNameWithoutExtension(name), "N", out var backupId) || !Backups.ContainsKey(backupId))
            {
                yield return $"{host}: {name} in the backup store is no backup in the inventory";
            }
        }

        foreach (var half in Directory.EnumerateFileSystemEntries(data, "*", SearchOption.AllDirectories)
            .Where(p => p.EndsWith(".tmp", StringComparison.Ordinal) || p.EndsWith(".part", StringComparison.Ordinal) || p.Contains(".incoming-", StringComparison.Ordinal) || Path.GetFileName(p).StartsWith(".restore-", StringComparison.Ordinal)))
        {
            yield return $"{host}: {Path.GetRelativePath(data, half)} is half made";
        }

        var downloads = Path.Combine(data, "downloads");
        foreach (var file in Directory.Exists(downloads) ? Directory.EnumerateFiles(downloads) : [])
        {
            yield return $"{host}: {Path.GetRelativePath(data, file)} is an unfinished download";
        }
    }

    /// <summary>What the container engine holds for a host that this inventory does not know: containers, snapshot images, clone and restore images.</summary>
    public async Task<IReadOnlyList<string>> UnknownContainersOfAsync(string host, Guid hostId, IEnumerable<Guid> everMade)
    {
        var problems = new List<string>();
        foreach (var container in await PodmanCleanup.JsonAsync($"ps -a --filter label=ringmaster.host={hostId} --format json"))
        {
            var labels = container.GetProperty("Labels");
            var id = Guid.Parse(labels.GetProperty("ringmaster.id").GetString()!);
            if (!Machines.TryGetValue(id, out var machine) || machine.GetProperty("host").GetString() != host)
            {
                problems.Add($"{host}: container {labels.GetProperty("ringmaster.name").GetString()} ({id}) is no machine of this host in the inventory");
            }
        }

        var images = await PodmanCleanup.JsonAsync("images --format json");
        foreach (var machineId in everMade)
        {
            foreach (var image in images)
            {
                var names = image.TryGetProperty("Names", out var n) && n.ValueKind == JsonValueKind.Array ? n.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
                var labels = image.TryGetProperty("Labels", out var l) && l.ValueKind == JsonValueKind.Object ? l : default;
                if (labels.ValueKind == JsonValueKind.Object && labels.TryGetProperty("ringmaster.snapshot.of", out var of) && of.GetString() == machineId.ToString()
                    && names.Any(x => x.Contains(":snap-", StringComparison.Ordinal)))
                {
                    var snapshotId = Guid.Parse(labels.GetProperty("ringmaster.snapshot.id").GetString()!);
                    if (!(Snapshots.GetValueOrDefault(machineId) ?? []).Any(s => s.Id == snapshotId))
                    {
                        problems.Add($"{host}: snapshot image {string.Join(",", names)} of {machineId} is no snapshot in the inventory");
                    }
                }

                if (names.Any(x => x.Contains($"ringmaster-restores/{machineId:N}", StringComparison.Ordinal) || x.EndsWith($"ringmaster-clones:{machineId:N}", StringComparison.Ordinal))
                    && !Machines.ContainsKey(machineId))
                {
                    problems.Add($"{host}: image {string.Join(",", names)} belongs to machine {machineId}, which the inventory does not have");
                }
            }
        }

        return problems;
    }
}

/// <summary>The container engine as the tests see it.</summary>
internal static class PodmanCleanup
{
    public static async Task<List<JsonElement>> JsonAsync(string arguments)
    {
        var info = new ProcessStartInfo("podman", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return string.IsNullOrWhiteSpace(output) ? [] : [.. JsonDocument.Parse(output).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>Removes the containers the given hosts made (what a test leaves in the shared engine).</summary>
    public static async Task RemoveOwnedByAsync(IEnumerable<Guid> hosts)
    {
        foreach (var host in hosts)
        {
            foreach (var container in await JsonAsync($"ps -a --filter label=ringmaster.host={host} --format json"))
            {
                await Podman.RemoveAsync(container.GetProperty("Id").GetString()!);
            }
        }
    }
}
