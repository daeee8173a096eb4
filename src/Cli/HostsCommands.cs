using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Ringmaster.Cli;

/// <summary><c>ringmaster hosts list</c>.</summary>
internal static class HostsCommands
{
    public static Command Build(CliEnvironment env, GlobalOptions globals)
    {
        var list = new Command("list", "List the hosts, whether they are online and what runs on them.");
        list.Aliases.Add("ls");
        CommandContext.SetAction(list, env, globals, async (context, cancellationToken) =>
        {
            var page = await context.Client.GetAsync("api/v1/hosts", cancellationToken).ConfigureAwait(false);
            var items = page.TryGetProperty("items", out var i) ? i : page;
            if (context.Json)
            {
                Output.Json(context.Out, items);
                return ExitCodes.Ok;
            }

            Output.Table(context.Out, ["NAME", "ONLINE", "MACHINES", "CPU", "MEMORY USED", "AGENT", "ID"],
                items.EnumerateArray().Select(h => (IReadOnlyList<string>)
                [
                    h.Str("name"),
                    h.Str("online") == "true" ? "yes" : "no",
                    h.Str("machineCount"),
                    h.TryGetProperty("cpuPercent", out var cpu) && cpu.TryGetDouble(out var c) ? c.ToString("0", CultureInfo.InvariantCulture) + "%" : "",
                    h.TryGetProperty("memoryUsedBytes", out var mem) && mem.TryGetInt64(out var m) ? Output.Mib(m) : "",
                    h.Str("agentVersion"),
                    h.Str("id"),
                ]));
            return ExitCodes.Ok;
        });

        return new Command("hosts", "Hosts that run guests.") { list };
    }

    internal static JsonElement Items(JsonElement page) => page.TryGetProperty("items", out var items) ? items : page;
}
