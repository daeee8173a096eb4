using Microsoft.Extensions.Options;

namespace Ringmaster.Agents;

/// <summary>The host's identity, and the credential the server gave it, kept in the agent's data folder so they survive restarts.</summary>
public sealed class AgentIdentity(IOptions<AgentOptions> options)
{
    private readonly Lazy<Guid> _hostId = new(() => LoadOrCreate(Path.GetFullPath(options.Value.Data)));
    private string? _credential;
    private bool _credentialRead;

    public Guid HostId => _hostId.Value;

    private string CredentialFile => Path.Combine(Path.GetFullPath(options.Value.Data), "credential");

    /// <summary>The agent's own credential (issued at its first registration), or null before it has one.</summary>
    public string? Credential
    {
        get
        {
            if (!_credentialRead)
            {
                _credential = File.Exists(CredentialFile) ? File.ReadAllText(CredentialFile).Trim() is { Length: > 0 } c ? c : null : null;
                _credentialRead = true;
            }

            return _credential;
        }
    }

    /// <summary>Keeps the credential the server issued, readable by this user only.</summary>
    public void SaveCredential(string credential)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CredentialFile)!);
        // Written whole to a file that is born 0600, then renamed into place: a reader never sees
        // it empty, half-written or readable by others.
        var temporary = CredentialFile + ".new";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(temporary, options))
        {
            writer.Write(credential);
        }

        File.Move(temporary, CredentialFile, overwrite: true);

        _credential = credential;
        _credentialRead = true;
    }

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
