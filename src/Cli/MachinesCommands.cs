using System.CommandLine;
using System.Text.Json;
using Ringmaster.Contracts;

namespace Ringmaster.Cli;

/// <summary><c>ringmaster machines list|show|create|start|stop|restart|pause|resume|eject|delete</c>.</summary>
internal static class MachinesCommands
{
    public static Command Build(CliEnvironment env, GlobalOptions globals)
    {
        var machines = new Command("machines", "Virtual machines and containers.");
        machines.Aliases.Add("machine");
        machines.Subcommands.Add(List(env, globals));
        machines.Subcommands.Add(Show(env, globals));
        machines.Subcommands.Add(Create(env, globals));
        machines.Subcommands.Add(Action(env, globals, "start", "start", "Start a machine."));
        machines.Subcommands.Add(Stop(env, globals));
        machines.Subcommands.Add(Action(env, globals, "restart", "restart", "Restart a machine."));
        machines.Subcommands.Add(Action(env, globals, "pause", "pause", "Pause a running machine: its processors stop, its memory stays."));
        machines.Subcommands.Add(Action(env, globals, "resume", "resume", "Resume a paused machine where it was."));
        machines.Subcommands.Add(Action(env, globals, "eject", "eject", "Take the ISO out of a QEMU VM's CD-ROM: its next start boots from its disk."));
        machines.Subcommands.Add(Delete(env, globals));
        return machines;
    }

    private static Command List(CliEnvironment env, GlobalOptions globals)
    {
        var state = new Option<string?>("--state") { Description = "Only machines in this state (Running, Stopped, …)." };
        var kind = new Option<string?>("--kind") { Description = "Only vm or container." };
        var host = new Option<string?>("--host") { Description = "Only machines on this host (name or id)." };
        var label = new Option<string?>("--label", "-l") { Description = "Only machines with this label (key or key=value)." };
        var query = new Option<string?>("--query", "-q") { Description = "Only machines whose name contains this text." };
        var limit = new Option<int?>("--limit") { Description = "At most this many machines (default: all of them, a page of 100 at a time)." };
        var command = new Command("list", "List machines.") { state, kind, host, label, query, limit };
        command.Aliases.Add("ls");
        CommandContext.SetAction(command, env, globals, async (context, cancellationToken) =>
        {
            var wanted = context.Get(limit);
            if (wanted is < 1)
            {
                throw new CliException("--limit must be at least 1.", ExitCodes.Usage);
            }

            var filters = new List<string>();
            void Add(string name, string? value)
            {
                if (!string.IsNullOrWhiteSpace(value))
                {
                    filters.Add($"{name}={Uri.EscapeDataString(value)}");
                }
            }

            Add("state", context.Get(state));
            Add("kind", context.Get(kind));
            Add("host", context.Get(host));
            Add("label", context.Get(label));
            Add("q", context.Get(query));
            var items = new List<JsonElement>();
            string? cursor = null;
            do
            {
                var size = Math.Min(100, (wanted ?? int.MaxValue) - items.Count);
                var path = $"api/v1/machines?limit={size}" + string.Concat(filters.Select(f => "&" + f)) + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
                var page = await context.Client.GetAsync(path, cancellationToken).ConfigureAwait(false);
                var read = page.As<Page<JsonElement>>();
                items.AddRange(read.Items);
                cursor = read.NextCursor;
            }
            while (cursor is not null && items.Count < (wanted ?? int.MaxValue));

            if (context.Json)
            {
                Output.Json(context.Out, JsonSerializer.SerializeToElement(items));
                return ExitCodes.Ok;
            }

            Output.Table(context.Out, ["NAME", "KIND", "STATE", "HOST", "VCPUS", "MEMORY", "DISK", "TEMPLATE"],
                items.Select(i => i.As<MachineView>()).Select(m => (IReadOnlyList<string>)
                [
                    m.Name,
                    m.Kind.Wire(),
                    m.State.Wire(),
                    m.Host ?? "",
                    m.Spec.Vcpus.Wire(),
                    m.Spec.MemoryMiB.Wire() + " MiB",
                    DiskGiB(m) + " GiB",
                    m.Template,
                ]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(CliEnvironment env, GlobalOptions globals)
    {
        var name = NameArgument();
        var command = new Command("show", "Show one machine.") { name };
        CommandContext.SetAction(command, env, globals, async (context, cancellationToken) =>
        {
            var machine = await GetMachineAsync(context, context.Get(name)!, cancellationToken).ConfigureAwait(false);
            PrintMachine(context, machine);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Create(CliEnvironment env, GlobalOptions globals)
    {
        var name = NameArgument();
        var template = new Option<string>("--template", "-t") { Description = "The template to create it from (see the catalog).", Required = true };
        var vcpus = new Option<int?>("--vcpus") { Description = "vCPUs (default: the template's)." };
        var memory = new Option<int?>("--memory", "--memory-mib") { Description = "Memory in MiB (default: the template's)." };
        var disk = new Option<int?>("--disk", "--disk-gib") { Description = "Disk in GiB (default: the template's)." };
        var host = new Option<string?>("--host") { Description = "The host to place it on (default: the server chooses)." };
        var labels = new Option<string[]>("--label", "-l") { Description = "A label key=value (repeatable).", AllowMultipleArgumentsPerToken = false };
        var noStart = new Option<bool>("--no-start") { Description = "Create it stopped." };
        var iso = new Option<string?>("--iso") { Description = "For a QEMU template: install from this imported ISO (an empty disk of --disk GiB, booted from the CD)." };
        var diskImage = new Option<string?>("--disk-image") { Description = "For a QEMU template: make the VM from this imported disk (images import), copied into its own qcow2 and grown to --disk GiB; an OVA also gives its vCPUs and memory." };
        var devices = new Option<string?>("--devices") { Description = "For a QEMU template: virtio (the default) or emulated (IDE disk, e1000 NIC; the default with --disk-image, for guests without virtio drivers)." };
        devices.AcceptOnlyFromAmong("virtio", "emulated");
        var noWait = NoWaitOption();
        var command = new Command("create", "Create (and start) a machine from a template.") { name, template, vcpus, memory, disk, host, labels, noStart, iso, diskImage, devices, noWait };
        CommandContext.SetAction(command, env, globals, async (context, cancellationToken) =>
        {
            Dictionary<string, string>? labelMap = null;
            foreach (var pair in context.Get(labels) ?? [])
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new CliException($"The label '{pair}' is not key=value.", ExitCodes.Usage);
                }

                (labelMap ??= [])[pair[..eq]] = pair[(eq + 1)..];
            }

            var body = new CreateMachineRequest(context.Get(name)!, context.Get(template)!, context.Get(vcpus), context.Get(memory), context.Get(disk), context.Get(host), labelMap, !context.Get(noStart),
                Iso: context.Get(iso), Disk: context.Get(diskImage), Devices: context.Get(devices) switch
                {
                    "virtio" => GuestDevices.Virtio,
                    "emulated" => GuestDevices.Emulated,
                    _ => null,
                });
            var accepted = await context.Client.SendAsync(HttpMethod.Post, "api/v1/machines", body, cancellationToken).ConfigureAwait(false);
            return await FinishAsync(context, accepted, context.Get(noWait), body.Name!, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Stop(CliEnvironment env, GlobalOptions globals)
    {
        var name = NameArgument();
        var force = new Option<bool>("--force", "-f") { Description = "Power it off at once instead of asking the guest to shut down." };
        var timeout = new Option<int?>("--timeout", "-t") { Description = "Seconds the guest may take to shut down before it is powered off (0–600; by default 10 for containers, 60 for QEMU VMs)." };
        var noWait = NoWaitOption();
        var command = new Command("stop", "Stop a machine.") { name, force, timeout, noWait };
        CommandContext.SetAction(command, env, globals, async (context, cancellationToken) =>
        {
            var target = context.Get(name)!;
            var path = $"api/v1/machines/{Escape(target)}/{(context.Get(force) ? "force-stop" : "stop")}";
            if (context.Get(timeout) is { } seconds && !context.Get(force))
            {
                path += $"?timeout={seconds}";
            }

            var accepted = await context.Client.SendAsync(HttpMethod.Post, path, null, cancellationToken).ConfigureAwait(false);
            return await FinishAsync(context, accepted, context.Get(noWait), target, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Action(CliEnvironment env, GlobalOptions globals, string verb, string action, string description)
    {
        var name = NameArgument();
        var noWait = NoWaitOption();
        var command = new Command(verb, description) { name, noWait };
        CommandContext.SetAction(command, env, globals, async (context, cancellationToken) =>
        {
            var target = context.Get(name)!;
            var accepted = await context.Client.SendAsync(HttpMethod.Post, $"api/v1/machines/{Escape(target)}/{action}", null, cancellationToken).ConfigureAwait(false);
            return await FinishAsync(context, accepted, context.Get(noWait), target, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Delete(CliEnvironment env, GlobalOptions globals)
    {
        var name = NameArgument();
        var noWait = NoWaitOption();
        var command = new Command("delete", "Delete a machine and what its host stores for it.") { name, noWait };
        command.Aliases.Add("rm");
        CommandContext.SetAction(command, env, globals, async (context, cancellationToken) =>
        {
            var target = context.Get(name)!;
            var accepted = await context.Client.SendAsync(HttpMethod.Delete, $"api/v1/machines/{Escape(target)}", null, cancellationToken).ConfigureAwait(false);
            return await FinishAsync(context, accepted, context.Get(noWait), null, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// After a 202: with --no-wait prints the operation id (or the whole answer with --json); else
    /// follows the operation to its end, printing progress to stderr, then prints the machine.
    /// </summary>
    private static async Task<int> FinishAsync(CommandContext context, JsonElement accepted, bool noWait, string? machineName, CancellationToken cancellationToken)
    {
        var operation = accepted.TryGetProperty("operation", out var op) ? op : accepted;
        var started = operation.As<OperationView>();
        if (noWait)
        {
            if (context.Json)
            {
                Output.Json(context.Out, accepted);
            }
            else
            {
                await context.Out.WriteLineAsync(started.Id.ToString()).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }

        var final = await new OperationWaiter(context.Client, context.Env.Error).WaitAsync(operation, cancellationToken).ConfigureAwait(false);
        var ended = final.As<OperationView>();
        if (ended.State != OperationStatus.Succeeded)
        {
            throw new CliException($"The operation {ended.Kind.Wire()} on {ended.Target} {ended.State.Wire().ToLowerInvariant()}{(ended.Error is { Length: > 0 } error ? ": " + error : ".")} (operation {ended.Id})");
        }

        if (machineName is null)
        {
            if (context.Json)
            {
                Output.Json(context.Out, final);
            }
            else
            {
                await context.Out.WriteLineAsync($"{ended.Kind.Wire()} {ended.Target}: done").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }

        var machine = await GetMachineAsync(context, machineName, cancellationToken).ConfigureAwait(false);
        PrintMachine(context, machine);
        return ExitCodes.Ok;
    }

    internal static Task<JsonElement> GetMachineAsync(CommandContext context, string idOrName, CancellationToken cancellationToken) =>
        context.Client.GetAsync($"api/v1/machines/{Escape(idOrName)}", cancellationToken);

    private static void PrintMachine(CommandContext context, JsonElement answer)
    {
        if (context.Json)
        {
            Output.Json(context.Out, answer);
            return;
        }

        var machine = answer.As<MachineView>();
        Output.Fields(context.Out,
        [
            ("Name", machine.Name),
            ("Id", machine.Id.ToString()),
            ("Kind", machine.Kind.Wire() + (machine.Engine is { } engine ? $" ({engine.Wire()})" : "")),
            ("State", machine.State.Wire() + (machine.Detail is { Length: > 0 } detail ? $" ({detail})" : "")),
            ("Host", machine.Host ?? ""),
            ("Template", machine.Template),
            ("Image", machine.Image),
            .. (machine.Iso is { Length: > 0 } cd ? new[] { ("CD-ROM", cd) } : []),
            ("vCPUs", machine.Spec.Vcpus.Wire()),
            ("Memory", machine.Spec.MemoryMiB.Wire() + " MiB"),
            ("Disk", DiskGiB(machine) + " GiB"),
            .. (machine.Spec.Devices is { } devices ? new[] { ("Devices", devices.Wire()) } : []),
            ("Labels", string.Join(", ", machine.Labels.Select(p => $"{p.Key}={p.Value}"))),
            ("Created", machine.CreatedAt.Wire()),
        ]);
    }

    private static int DiskGiB(MachineView machine) => machine.Spec.Disks.Sum(d => d.SizeGiB);

    internal static Argument<string> NameArgument() => new("name") { Description = "The machine's name or id." };

    private static Option<bool> NoWaitOption() => new("--no-wait") { Description = "Return the operation's id at once instead of waiting for it to end." };

    internal static string Escape(string idOrName) => Uri.EscapeDataString(idOrName);
}
