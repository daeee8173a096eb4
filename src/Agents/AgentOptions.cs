namespace Ringmaster.Agents;

/// <summary>How an agent reaches its server and where it keeps its data.</summary>
public sealed record AgentOptions
{
    public const string Section = "Agent";

    /// <summary>The server's base address (the hub is at /hubs/agents below it), or several separated by commas (see <see cref="ServerFailover"/>). Empty for the embedded agent, which asks the web host.</summary>
    public string? Server { get; set; }

    /// <summary>The join token the server expects (env RINGMASTER_JOIN_TOKEN).</summary>
    public string? Token { get; set; }

    /// <summary>The agent's data folder: its host id, VM disks and state.</summary>
    public string Data { get; set; } = "agent-data";

    /// <summary>The name the host registers under; the machine's host name by default.</summary>
    public string? Name { get; set; }

    /// <summary>Where backups are written and read (a folder, possibly shared between hosts); empty: <c>backups</c> in <see cref="Data"/>.</summary>
    public string? BackupStore { get; set; }

    /// <summary>Seconds between metric pushes and state checks of running guests.</summary>
    public double MetricsSeconds { get; set; } = 2;
}

/// <summary>Where the agent finds its server; the embedded agent learns it from the web host once it listens.</summary>
public interface IAgentServerAddress
{
    ValueTask<Uri> GetAsync(CancellationToken cancellationToken);
}
