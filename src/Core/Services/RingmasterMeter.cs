using System.Diagnostics.Metrics;
using Ringmaster.Contracts;

namespace Ringmaster.Core.Services;

/// <summary>
/// What the server measures as it works, as .NET instruments (the web exports them to Prometheus):
/// operations by kind and outcome with their durations, agents' command latency, and migrations'
/// downtime. The tags each instrument carries are listed in <see cref="Tags"/>.
/// </summary>
public static class RingmasterMeter
{
    public const string Name = "Ringmaster";

    private static readonly Meter s_meter = new(Name);

    /// <summary>From the operation's start to its end, tagged <c>kind</c> and <c>outcome</c> (succeeded, failed, cancelled).</summary>
    public static readonly Histogram<double> OperationDuration =
        s_meter.CreateHistogram<double>("ringmaster_operation_duration_seconds", "s", "Operations by kind and outcome, and how long they ran");

    /// <summary>From sending a command to an agent to its outcome, tagged <c>command</c> and <c>outcome</c>.</summary>
    public static readonly Histogram<double> AgentCommandDuration =
        s_meter.CreateHistogram<double>("ringmaster_agent_command_duration_seconds", "s", "Commands sent to agents, from sending to their outcome");

    /// <summary>How long a migrated guest was paused, tagged <c>mode</c> (live, cold).</summary>
    public static readonly Histogram<double> MigrationDowntime =
        s_meter.CreateHistogram<double>("ringmaster_migration_downtime_seconds", "s", "How long migrated machines were paused");

    /// <summary>Each instrument's tags, in the order an exporter labels them.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Tags = new Dictionary<string, string[]>
    {
        [OperationDuration.Name] = ["kind", "outcome"],
        [AgentCommandDuration.Name] = ["command", "outcome"],
        [MigrationDowntime.Name] = ["mode"],
    };

    public static void OperationEnded(Domain.OperationEntity operation, string outcome, TimeSpan elapsed) =>
        OperationDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("kind", operation.Kind.Name()), new KeyValuePair<string, object?>("outcome", outcome));
}
