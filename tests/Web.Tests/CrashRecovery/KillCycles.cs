using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ringmaster.Web.Tests.CrashRecovery;

/// <summary>
/// Kills the web with -9 while every long operation runs, and checks what the restarted server made
/// of it. A cycle starts one of each (a live migration, a backup with memory, a restore, a clone, a
/// snapshot with memory, a create of a VM and of a container), each on a machine of its own, waits
/// until each has reached the step chosen for this cycle (as its progress, pushed by the server,
/// says), kills the web, starts it again on the same data and waits until nothing is left running.
/// Then: no operation is running, no machine is in a transitional state, no agent holds a file the
/// inventory does not know, and each operation's state says what the hosts really have.
/// </summary>
public sealed class KillCycles(CrashCluster cluster, ITestOutputHelper output)
{
    /// <summary>What the server writes in the log of an operation its stop interrupted.</summary>
    public const string Interrupted = "The server restarted while this operation ran";

    /// <summary>What an agent logs when a command ends while it cannot reach the server.</summary>
    public const string HeldOutcome = "its outcome is held until the server is back";

    public static readonly string[] Kinds = ["migration", "backup", "restore", "clone", "snapshot", "create-vm", "create-container"];

    private readonly ApiClient _api = cluster.Api;
    private readonly HashSet<Guid> _everMade = [];
    private readonly HashSet<string> _shown = [];
    private Guid _snapVm, _backupVm, _cloneSource, _migrating, _restoreFrom;
    private string _primary = "", _other = "";

    /// <summary>Per kind, how many operations the kill interrupted.</summary>
    public Dictionary<string, int> Caught { get; } = Kinds.ToDictionary(k => k, _ => 0);

    /// <summary>Per kind and final state, how many operations ended so.</summary>
    public Dictionary<string, int> Outcomes { get; } = [];

    /// <summary>How many operations were settled with an outcome an agent sent after the web was gone.</summary>
    public int FinishedWhileDown { get; private set; }

    public List<string> Problems { get; } = [];

    private sealed record Started(string Kind, Guid OperationId, int Step, Guid Subject, string Name, string Host, string? Target = null, int BackupsBefore = 0);

    /// <summary>The machines the cycles work on, all small VMs of the default template, on <paramref name="primary"/>; and a backup to restore.</summary>
    public async Task SetUpAsync(string primary, string other)
    {
        (_primary, _other) = (primary, other);
        var made = await Task.WhenAll(new[] { "snap", "backup", "source", "mover" }.Select(n =>
            _api.CreateMachineAsync(new { name = $"{n}-{cluster.Suffix}", template = "default", memoryMiB = 128, host = primary }, TimeSpan.FromMinutes(3))));
        (_snapVm, _backupVm, _cloneSource, _migrating) = (Id(made[0]), Id(made[1]), Id(made[2]), Id(made[3]));
        foreach (var m in made)
        {
            _everMade.Add(Id(m));
        }

        var backup = await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{_backupVm}/backups", new { includeMemory = true, full = true });
        _restoreFrom = (await _api.WaitSucceededAsync(backup, TimeSpan.FromMinutes(3))).GetProperty("result").GetProperty("id").GetGuid();

        static Guid Id(JsonElement machine) => machine.GetProperty("id").GetGuid();
    }

    /// <summary>Cycles until every kind was interrupted <paramref name="each"/> times (at most <paramref name="most"/> cycles).</summary>
    public async Task RunAsync(int each, int most)
    {
        for (var k = 0; k < most && Kinds.Any(kind => Caught[kind] < each); k++)
        {
            await CycleAsync(k);
        }
    }

    /// <summary>
    /// One kill. In even cycles the long operations start first; once each has reached its agent
    /// (its first step) the short ones start, and the kill comes as soon as they have reached theirs:
    /// every one is under way. In odd cycles they start together and the kill comes when one of them
    /// (a different kind each time) reaches its last step before its end, where the agent's work is
    /// done and the server has not recorded it yet.
    /// </summary>
    public async Task CycleAsync(int k)
    {
        var clock = Stopwatch.StartNew();
        await EnsureRunningAsync();
        var before = await Inventory.ReadAsync(_api);
        var started = new List<Started>();
        var late = k % 2 == 1 ? Kinds[k / 2 % Kinds.Length] : null;
        var begin = new Func<Task<Started>>[]
        {
            () => MigrateAsync(late == "migration", before),
            () => RestoreAsync(k, late == "restore"),
            () => CloneAsync(k, late == "clone"),
            () => CreateAsync(k, "create-vm", late == "create-vm"),
            () => CreateAsync(k, "create-container", late == "create-container"),
            () => BackupAsync(late == "backup", before),
            () => SnapshotAsync(k),
        };
        string atKill;
        await using (var watch = await OperationWatch.OpenAsync(_api))
        {
            if (late is null)
            {
                foreach (var wave in new[] { begin[..3], begin[3..] })
                {
                    var starting = await Task.WhenAll(wave.Select(b => b()));
                    started.AddRange(starting);
                    await watch.ReachedAsync(starting.Select(s => (s.OperationId, s.Step)), TimeSpan.FromMinutes(2));
                }
            }
            else
            {
                started.AddRange(await Task.WhenAll(begin.Select(b => b())));
                var target = started.Single(s => s.Kind == late);
                await watch.ReachedAsync([(target.OperationId, target.Step)], TimeSpan.FromMinutes(2));
            }

            atKill = string.Join(", ", started.Select(s => $"{s.Kind} {Describe(watch.Latest(s.OperationId))}"));
            // A migration's last steps need the server; the other kinds' agents finish theirs without it
            // (on standalone agents: an embedded agent dies with the web).
            var held = Held();
            var agentWorkLeft = !cluster.Embedded && started.Any(s => s.Kind != "migration"
                && watch.Latest(s.OperationId)?.GetProperty("state").GetString() is not ("Succeeded" or "Failed" or "Cancelled"));
            await cluster.KillAndRestartWebAsync(late is not null && agentWorkLeft ? () => HeldWhileDownAsync(held) : null);
        }

        var restarted = clock.Elapsed;
        await SettledAsync();
        var after = await Inventory.ReadAsync(_api);
        var outcome = new List<string>();
        foreach (var s in started)
        {
            var operation = await _api.GetAsync($"/api/v1/operations/{s.OperationId}");
            var state = operation.GetProperty("state").GetString()!;
            var log = operation.GetProperty("log").GetString() ?? "";
            if (log.Contains(Interrupted, StringComparison.Ordinal))
            {
                Caught[s.Kind]++;
                if (log.Contains("finished its part while the server was down", StringComparison.Ordinal))
                {
                    FinishedWhileDown++;
                }
            }

            Outcomes[$"{s.Kind} {state}"] = Outcomes.GetValueOrDefault($"{s.Kind} {state}") + 1;
            if ((log.Contains(Interrupted, StringComparison.Ordinal) && _shown.Add($"{s.Kind} {state}")) || (state != "Succeeded" && !log.Contains(Interrupted, StringComparison.Ordinal)))
            {
                // What the settling said, once for each kind and outcome.
                output.WriteLine($"  {s.Kind} {state}: {operation.GetProperty("error")}\n    {log.Trim().Replace("\n", "\n    ", StringComparison.Ordinal)}");
            }

            outcome.Add($"{s.Kind} {state}{(log.Contains(Interrupted, StringComparison.Ordinal) ? " (interrupted)" : "")}");
            foreach (var problem in await CheckAsync(s, operation, after))
            {
                Problems.Add($"cycle {k}, {s.Kind} {state}: {problem}\n  error: {operation.GetProperty("error")}\n  log: {log}");
            }
        }

        foreach (var (host, id) in cluster.Hosts)
        {
            Problems.AddRange(after.UnknownFilesOf(host, id, cluster.AgentData(host)).Select(p => $"cycle {k}: {p}"));
            Problems.AddRange((await after.UnknownContainersOfAsync(host, id, _everMade)).Select(p => $"cycle {k}: {p}"));
        }

        output.WriteLine($"cycle {k} ({(late is null ? "in two waves, each just under way" : $"together, {late} near its end")}): killed at [{atKill}] after {restarted.TotalSeconds:0.0} s; settled as [{string.Join(", ", outcome)}]; cycle took {clock.Elapsed.TotalSeconds:0.0} s");
        await CleanUpAsync(started, after);
    }

    /// <summary>How many command outcomes the agents have said they hold for a server they cannot reach.</summary>
    private int Held() => cluster.AllOutput.Split('\n').Count(l => l.Contains(HeldOutcome, StringComparison.Ordinal));

    /// <summary>
    /// In the cycles that kill near an end, while an operation's agent has work left, the web stays down
    /// until an agent holds an outcome for it (the agents' work goes on without the web), so that those
    /// restarts have news to settle an operation with; how long that takes depends on the machine's
    /// load, not on the test.
    /// </summary>
    private async Task HeldWhileDownAsync(int before)
    {
        var clock = Stopwatch.StartNew();
        while (Held() <= before)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                output.WriteLine("  no agent held an outcome after 2 min with the web down; starting it again");
                return;
            }

            await Task.Delay(200);
        }

        output.WriteLine($"  an agent held an outcome {clock.Elapsed.TotalSeconds:0.0} s after the kill");
    }

    private static string Describe(JsonElement? view) =>
        view is { } v ? $"{v.GetProperty("state").GetString()} {v.GetProperty("progress").GetInt32()}%" : "not seen";

    private async Task<Started> MigrateAsync(bool late, Inventory before)
    {
        var source = before.HostOf(_migrating)!;
        var target = source == _primary ? _other : _primary;
        var live = before.Machines[_migrating].GetProperty("state").GetString() == "Running";
        var id = await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{_migrating}/migrate", new { host = target, live });

        // 10: the source has begun sending; 95: the target runs it and the source is about to let go.
        return new Started("migration", id, late ? 95 : 10, _migrating, "mover", source, target);
    }

    private async Task<Started> RestoreAsync(int k, bool late)
    {
        var name = $"r{k}-{cluster.Suffix}";
        var (id, machine) = await StartWithMachineAsync(HttpMethod.Post, $"/api/v1/backups/{_restoreFrom}/restore", new { name, host = _primary, start = false });

        // 5: asked of the agent; 90: the disk and memory are rebuilt, the VM about to start.
        return new Started("restore", id, late ? 90 : 5, machine, name, _primary);
    }

    private async Task<Started> CloneAsync(int k, bool late)
    {
        var name = $"k{k}-{cluster.Suffix}";
        var (id, machine) = await StartWithMachineAsync(HttpMethod.Post, $"/api/v1/machines/{_cloneSource}/clone", new { name, linked = false, includeMemory = true });

        // 10: asked of the agent; 95: the copy is made, about to start from the source's memory.
        return new Started("clone", id, late ? 95 : 10, machine, name, _primary);
    }

    private async Task<Started> BackupAsync(bool late, Inventory before)
    {
        var count = before.Backups.Values.Count(b => b.GetProperty("machineId").GetGuid() == _backupVm);
        var id = await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{_backupVm}/backups", new { includeMemory = true, full = !late });

        // 5: asked of the agent; 95: the archive is written, about to be reported.
        return new Started("backup", id, late ? 95 : 5, _backupVm, "backup", before.HostOf(_backupVm)!, BackupsBefore: count);
    }

    private async Task<Started> SnapshotAsync(int k)
    {
        var name = $"s{k}";
        var id = await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{_snapVm}/snapshots", new { name, includeMemory = true });
        return new Started("snapshot", id, 10, _snapVm, name, _primary);
    }

    private async Task<Started> CreateAsync(int k, string kind, bool late)
    {
        var vm = kind == "create-vm";
        var name = $"{(vm ? "v" : "c")}{k}-{cluster.Suffix}";
        var host = vm || k % 2 == 0 ? _primary : _other;
        var (id, machine) = await StartWithMachineAsync(HttpMethod.Post, "/api/v1/machines",
            vm ? new { name, template = "default", memoryMiB = 128, host } : (object)new { name, template = "busybox", host });

        // 5: asked of the agent; 99: the agent made it, the server is about to record it and start it.
        return new Started(kind, id, late ? 99 : 5, machine, name, host);
    }

    private async Task<(Guid Operation, Guid Machine)> StartWithMachineAsync(HttpMethod method, string path, object body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        var response = await _api.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{method} {path}: {(int)response.StatusCode} {text}");
        var root = JsonDocument.Parse(text).RootElement;
        var machine = root.GetProperty("machine").GetProperty("id").GetGuid();
        lock (_everMade)
        {
            _everMade.Add(machine);
        }

        return (root.GetProperty("operation").GetProperty("id").GetGuid(), machine);
    }

    /// <summary>After the web came back: every host reconnected, every operation ended and no machine in a transitional state or unknown.</summary>
    private Task SettledAsync() =>
        HttpJson.EventuallyAsync(
            async () =>
            {
                var running = new List<string>();
                foreach (var state in new[] { "Running", "Queued" })
                {
                    running.AddRange((await _api.GetAsync($"/api/v1/operations?state={state}")).GetProperty("items").EnumerateArray()
                        .Select(o => $"{o.GetProperty("kind")} {o.GetProperty("target")} {state}: {o.GetProperty("message")}"));
                }

                var stuck = (await _api.GetAsync("/api/v1/machines?limit=1000")).GetProperty("items").EnumerateArray()
                    .Where(m => m.GetProperty("state").GetString() is "Creating" or "Deleting" or "Migrating" or "Unknown")
                    .Select(m => $"{m.GetProperty("name").GetString()} {m.GetProperty("state").GetString()}").ToList();
                var offline = (await _api.GetAsync("/api/v1/hosts")).GetProperty("items").EnumerateArray()
                    .Where(h => !h.GetProperty("online").GetBoolean()).Select(h => h.GetProperty("name").GetString()).ToList();
                // An anonymous object (not a tuple) so that a timeout prints what was still under way.
                return new { running, stuck, offline };
            },
            s => s.running.Count == 0 && s.stuck.Count == 0 && s.offline.Count == 0, TimeSpan.FromMinutes(3),
            "every host back online, no operation running and no machine in a transitional or unknown state");

    /// <summary>Whether the operation's state says what the hosts have.</summary>
    private async Task<List<string>> CheckAsync(Started s, JsonElement operation, Inventory after)
    {
        var problems = new List<string>();
        var state = operation.GetProperty("state").GetString();
        var succeeded = state == "Succeeded";
        if (state is not ("Succeeded" or "Failed" or "Cancelled"))
        {
            problems.Add($"still {state}");
            return problems;
        }

        switch (s.Kind)
        {
            case "create-vm" or "create-container" or "clone" or "restore":
            {
                var inInventory = after.Machines.TryGetValue(s.Subject, out var machine);
                var where = await WhereIsAsync(s.Subject);
                if (succeeded != inInventory)
                {
                    problems.Add(inInventory ? "the machine is in the inventory" : "the machine is not in the inventory");
                }

                if (succeeded && (where.Count != 1 || where[0] != machine.GetProperty("host").GetString()))
                {
                    problems.Add($"the inventory places it on {machine.GetProperty("host")}, the hosts have it on [{string.Join(", ", where)}]");
                }

                if (!succeeded && where.Count > 0)
                {
                    problems.Add($"the hosts still have it: [{string.Join(", ", where)}]");
                }

                break;
            }

            case "snapshot":
            {
                var inInventory = (after.Snapshots.GetValueOrDefault(s.Subject) ?? []).Any(x => x.Name == s.Name && x.Memory);
                var onHost = SnapshotNames(after.HostOf(s.Subject)!, s.Subject).Contains(s.Name);
                if (succeeded != inInventory || succeeded != onHost)
                {
                    problems.Add($"snapshot {s.Name}: in the inventory {inInventory}, on its host {onHost}");
                }

                break;
            }

            case "backup":
            {
                var count = after.Backups.Values.Count(b => b.GetProperty("machineId").GetGuid() == _backupVm);
                if (count != s.BackupsBefore + (succeeded ? 1 : 0))
                {
                    problems.Add($"{count} backups of the machine after, {s.BackupsBefore} before");
                }

                if (succeeded && !after.Backups.ContainsKey(operation.GetProperty("result").GetProperty("id").GetGuid()))
                {
                    problems.Add("its backup is not in the inventory");
                }

                break;
            }

            case "migration":
            {
                var where = await WhereIsAsync(s.Subject);
                var expected = succeeded ? s.Target! : s.Host;
                if (after.HostOf(s.Subject) != expected || where.Count != 1 || where[0] != expected)
                {
                    problems.Add($"expected on {expected}: the inventory says {after.HostOf(s.Subject)}, the hosts have it on [{string.Join(", ", where)}]");
                }

                break;
            }
        }

        return problems;
    }

    /// <summary>The hosts whose agent has the guest (a VM's folder, a container with its id).</summary>
    private async Task<List<string>> WhereIsAsync(Guid machineId)
    {
        var hosts = new List<string>();
        foreach (var (host, id) in cluster.Hosts)
        {
            var folder = Path.Combine(cluster.AgentData(host), "vms", machineId.ToString("N"));
            var containers = await PodmanCleanup.JsonAsync($"ps -a --filter label=ringmaster.id={machineId} --filter label=ringmaster.host={id} --format json");
            if (Directory.Exists(folder) || containers.Count > 0)
            {
                hosts.Add(host);
            }
        }

        return hosts;
    }

    private List<string> SnapshotNames(string host, Guid machineId)
    {
        var file = Path.Combine(cluster.AgentData(host), "vms", machineId.ToString("N"), "snapshots.json");
        return File.Exists(file) ? [.. JsonDocument.Parse(File.ReadAllText(file)).RootElement.EnumerateArray().Select(s => s.GetProperty("name").GetString()!)] : [];
    }

    /// <summary>The cycle's own machines go (they would pile up); the long-lived ones run again (the embedded agent's VMs stop with it).</summary>
    private async Task CleanUpAsync(List<Started> started, Inventory after)
    {
        var deletes = new List<Guid>();
        foreach (var s in started.Where(s => s.Kind is "create-vm" or "create-container" or "clone" or "restore" && after.Machines.ContainsKey(s.Subject)))
        {
            deletes.Add(await _api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{s.Subject}"));
        }

        foreach (var delete in deletes)
        {
            await _api.WaitSucceededAsync(delete, TimeSpan.FromMinutes(2));
        }
    }

    private async Task EnsureRunningAsync()
    {
        var starts = new List<Guid>();
        foreach (var id in new[] { _snapVm, _backupVm, _cloneSource, _migrating })
        {
            var machine = await _api.MachineAsync(id.ToString());
            var state = machine.GetProperty("state").GetString();
            if (state == "Stopped")
            {
                starts.Add(await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{id}/start"));
            }
            else
            {
                Assert.True(state == "Running", $"machine {machine.GetProperty("name")} is {state}: {machine}");
            }
        }

        foreach (var start in starts)
        {
            await _api.WaitSucceededAsync(start, TimeSpan.FromMinutes(1));
        }
    }

    /// <summary>How many events of each type the server recorded about adopting and removing (read from its database).</summary>
    public async Task<Dictionary<string, int>> EventsAsync()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={cluster.Database};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Type, COUNT(*) FROM Events WHERE Type IN ('leftover.removed', 'snapshot.adopted', 'backup.adopted', 'machine.removed', 'machine.settled') GROUP BY Type";
        var counts = new Dictionary<string, int>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }

        return counts;
    }

    /// <summary>What the web's processes logged of a settling that stumbled.</summary>
    public IEnumerable<string> RecoveryErrors() =>
        cluster.AllOutput.Split('\n').Where(l => l.Contains("Settling interrupted operations failed", StringComparison.Ordinal) || l.Contains("Could not settle machine", StringComparison.Ordinal));

    /// <summary>Deletes every machine the cycles made (their snapshots' images with them), so the shared engine keeps nothing.</summary>
    public async Task TearDownAsync()
    {
        var machines = (await _api.GetAsync("/api/v1/machines?limit=1000")).GetProperty("items").EnumerateArray().Select(m => m.GetProperty("id").GetGuid()).ToList();
        var deletes = new List<Guid>();
        foreach (var id in machines)
        {
            deletes.Add(await _api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{id}"));
        }

        foreach (var delete in deletes)
        {
            await _api.WaitSucceededAsync(delete, TimeSpan.FromMinutes(2));
        }
    }
}
