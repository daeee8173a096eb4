using System.CommandLine;
using System.Globalization;
using Ringmaster.Contracts;

namespace Ringmaster.Cli;

/// <summary><c>ringmaster alert-rules list|create|delete</c>: metric rules that open an alert when a figure stays past a threshold.</summary>
internal static class AlertRulesCommands
{
    public static Command Build(CliEnvironment env, GlobalOptions globals)
    {
        var list = new Command("list", "List the metric alert rules and whether each is firing.");
        list.Aliases.Add("ls");
        CommandContext.SetAction(list, env, globals, async (context, cancellationToken) =>
        {
            var rules = await context.Client.GetAsync("api/v1/alert-rules", cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                Output.Json(context.Out, rules);
                return ExitCodes.Ok;
            }

            Output.Table(context.Out, ["NAME", "PROJECT", "CONDITION", "FOR", "TARGET", "SEVERITY", "STATE", "ID"],
                rules.As<List<AlertRuleView>>().Select(r => (IReadOnlyList<string>)
                [
                    r.Name,
                    r.Project,
                    $"{r.Metric} {r.Comparison} {r.Threshold.Wire()}",
                    r.ForSeconds.Wire() + "s",
                    Target(r),
                    r.Severity,
                    r.State,
                    r.Id.ToString(),
                ]));
            return ExitCodes.Ok;
        });

        var name = new Argument<string>("name") { Description = "The rule's name (letters, digits, '.', '_', '-'), unique in its project." };
        var metric = new Option<string>("--metric", "-m")
        {
            Description = "The figure to watch: cpuPercent, memoryUsedBytes, memoryTotalBytes, diskReadPerSecond, diskWritePerSecond, netRxPerSecond, netTxPerSecond or mips.",
            Required = true,
        };
        var comparison = new Option<string>("--comparison", "-c") { Description = "'>' (alert while above the threshold, the default) or '<' (while below).", DefaultValueFactory = _ => ">" };
        var threshold = new Option<double?>("--threshold") { Description = "The value compared with, in the metric's unit (%, bytes, bytes per second or MIPS).", Required = true };
        var duration = new Option<int?>("--for") { Description = "Seconds (10 to 86400) every sample must be past the threshold before the alert opens.", Required = true };
        var target = new Option<string>("--target") { Description = "machine, host, all-machines (of the project; the default) or all-hosts.", DefaultValueFactory = _ => "all-machines" };
        var targetName = new Option<string?>("--target-name") { Description = "The machine or host (name or id) of a machine or host rule." };
        var severity = new Option<string?>("--severity") { Description = "info, warning (the default) or critical." };
        var project = new Option<string?>("--project", "-p") { Description = "The project (default: yours, or the machine's)." };
        var create = new Command("create", "Add a metric alert rule.") { name, metric, comparison, threshold, duration, target, targetName, severity, project };
        CommandContext.SetAction(create, env, globals, async (context, cancellationToken) =>
        {
            var body = new CreateAlertRuleRequest(context.Get(name), context.Get(metric), context.Get(comparison), context.Get(threshold), context.Get(duration),
                context.Get(target), context.Get(targetName), context.Get(severity), Project: context.Get(project));
            var rule = await context.Client.SendAsync(HttpMethod.Post, "api/v1/alert-rules", body, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                Output.Json(context.Out, rule);
            }
            else
            {
                var view = rule.As<AlertRuleView>();
                Output.Fields(context.Out,
                [
                    ("Name", view.Name),
                    ("Project", view.Project),
                    ("Condition", string.Create(CultureInfo.InvariantCulture, $"{view.Metric} {view.Comparison} {view.Threshold.Wire()} for {view.ForSeconds} s")),
                    ("Target", Target(view)),
                    ("Severity", view.Severity),
                    ("ID", view.Id.ToString()),
                ]);
            }

            return ExitCodes.Ok;
        });

        var which = new Argument<string>("rule") { Description = "The rule's id, or its name." };
        var delete = new Command("delete", "Delete a metric alert rule; its open alerts resolve.") { which, project };
        delete.Aliases.Add("rm");
        CommandContext.SetAction(delete, env, globals, async (context, cancellationToken) =>
        {
            var id = await ResolveAsync(context, context.Get(which)!, context.Get(project), cancellationToken).ConfigureAwait(false);
            await context.Client.SendAsync(HttpMethod.Delete, $"api/v1/alert-rules/{id}", null, cancellationToken).ConfigureAwait(false);
            if (!context.Json)
            {
                await context.Out.WriteLineAsync($"Deleted alert rule {context.Get(which)}.").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });

        return new Command("alert-rules", "Metric alert rules: a figure of a machine or host past a threshold for a while opens an alert.") { list, create, delete };
    }

    /// <summary>The id of the rule named <paramref name="rule"/> (or the id given).</summary>
    private static async Task<Guid> ResolveAsync(CommandContext context, string rule, string? project, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(rule, out var id))
        {
            return id;
        }

        var rules = (await context.Client.GetAsync("api/v1/alert-rules", cancellationToken).ConfigureAwait(false)).As<List<AlertRuleView>>();
        var named = rules.Where(r => r.Name == rule && (project is null || r.Project == project)).ToList();
        return named.Count switch
        {
            1 => named[0].Id,
            0 => throw new CliException($"No alert rule named '{rule}'{(project is null ? "" : $" in project '{project}'")}.", ExitCodes.Failed),
            _ => throw new CliException($"Projects {string.Join(", ", named.Select(r => r.Project))} each have a rule named '{rule}': give --project or the rule's id.", ExitCodes.Usage),
        };
    }

    /// <summary>What the rule watches: its kind of target, and the one machine or host it names.</summary>
    private static string Target(AlertRuleView rule) => rule.TargetName is { Length: > 0 } one ? $"{rule.Target} {one}" : rule.Target;
}
