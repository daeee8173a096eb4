using Microsoft.Extensions.Options;

namespace Ringmaster.Agents;

/// <summary>The host's identity, kept in the agent's data folder so it survives restarts.</summary>
public sealed class AgentIdentity(IOptions<AgentOptions> options)
{
    private readonly Lazy<Guid> _hostId = new(() => LoadOrCreate(Path.GetFullPath(options.Value.Data)));

    public Guid HostId => _hostId.Value;

    private static Guid LoadOrCreate(string dataPath)
    {
        Directory.CreateDirectory(dataPath);
        var file = Path.Combine(dataPath, "host-id");
        if (File.Exists(file) && Guid.TryParse(File.ReadAllText(file).Trim(), out var id))
        {
            return id;
        }

        id = Guid.NewGuid();
        File.WriteAllText(file, id.ToString());
        return id;
    }
}
