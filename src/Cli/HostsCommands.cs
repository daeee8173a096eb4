using System.CommandLine;
using System.Globalization;
using Ringmaster.Contracts;

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
            var items = Output.Items(await context.Client.GetAsync("api/v1/hosts", cancellationToken).ConfigureAwait(false));
            if (context.Json)
            {
                Output.Json(context.Out, items);
                return ExitCodes.Ok;
            }

            Output.Table(context.Out, ["NAME", "ONLINE", "MACHINES", "CPU", "MEMORY USED", "AGENT", "ID"],
                items.As<List<HostView>>().Select(h => (IReadOnlyList<string>)
                [
                    h.Name,
                    h.Online ? "yes" : "no",
                    h.MachineCount.ToString(CultureInfo.InvariantCulture),
                    h.CpuPercent.ToString("0", CultureInfo.InvariantCulture) + "%",
                    Output.Mib(h.MemoryUsedBytes),
                    h.AgentVersion,
                    h.Id.ToString(),
                ]));
            return ExitCodes.Ok;
        });

        return new Command("hosts", "Hosts that run guests.") { list };
    }
}
