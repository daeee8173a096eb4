using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ringmaster.Agents;

/// <summary>Entry point of <c>ringmaster-agent --server URL[,URL…] [--token-file PATH] --data DIR [--name NAME]</c>.</summary>
public static class AgentProgram
{
    private const string TokenFileKey = "Agent:TokenFile";

    private static readonly Dictionary<string, string> s_switches = new()
    {
        ["--server"] = "Agent:Server",
        ["--token"] = "Agent:Token",
        ["--token-file"] = TokenFileKey,
        ["--data"] = "Agent:Data",
        ["--name"] = "Agent:Name",
    };

    public static async Task<int> Main(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine("""
                ringmaster-agent: runs guests on this host for a Ringmaster server.

                  --server URL[,URL] the server's address (env RINGMASTER_SERVER); several web
                                     nodes on one inventory separated by commas: the agent
                                     dials the next when the one it uses does not answer
                  --token-file PATH  a file holding the join token, readable by its owner only
                                     (env RINGMASTER_JOIN_TOKEN_FILE)
                  --data DIR         the agent's data folder (default ./agent-data)
                  --name NAME        the host's name (default: the machine's host name)

                The join token comes from --token-file, else from the environment variable
                RINGMASTER_JOIN_TOKEN. --token TOKEN works too, but every user of this host sees
                a command line (ps), so it is not the way to pass a secret.
                """);
            return 0;
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(FromEnvironment());
        try
        {
            builder.Configuration.AddCommandLine(args, s_switches);
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"ringmaster-agent: {ex.Message} (see --help)");
            return 2;
        }

        var (servers, serverError) = ServerFailover.Parse(builder.Configuration["Agent:Server"]);
        if (servers is null)
        {
            Console.Error.WriteLine($"ringmaster-agent: --server must be the server's http(s) address, for example http://127.0.0.1:5080, or several separated by commas ({serverError})");
            return 2;
        }

        var onCommandLine = args.Any(a => a == "--token" || a.StartsWith("--token=", StringComparison.Ordinal));
        if (builder.Configuration[TokenFileKey] is { Length: > 0 } tokenFile)
        {
            if (onCommandLine)
            {
                Console.Error.WriteLine("ringmaster-agent: give the join token once: --token-file or --token, not both");
                return 2;
            }

            var (token, error) = ReadTokenFile(tokenFile);
            if (error is not null)
            {
                Console.Error.WriteLine($"ringmaster-agent: {error}");
                return 2;
            }

            builder.Configuration["Agent:Token"] = token;
        }
        else if (onCommandLine)
        {
            Console.Error.WriteLine("ringmaster-agent: warning: --token shows the join token to every user of this host (ps); use --token-file or RINGMASTER_JOIN_TOKEN");
        }

        if (string.IsNullOrWhiteSpace(builder.Configuration["Agent:Token"]))
        {
            Console.Error.WriteLine("ringmaster-agent: --token-file (or RINGMASTER_JOIN_TOKEN) must give the server's join token");
            return 2;
        }

        builder.AddRingmasterAgent(stopOnRejectedToken: true);
        builder.Services.AddSingleton<IAgentServerAddress>(servers);
        using var host = builder.Build();
        try
        {
            _ = host.Services.GetRequiredService<IOptions<AgentOptions>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            Console.Error.WriteLine($"ringmaster-agent: {ex.Message}");
            return 2;
        }

        await host.RunAsync().ConfigureAwait(false);
        return Environment.ExitCode;
    }

    /// <summary>
    /// The join token kept in <paramref name="path"/>, or why not: the file must exist, hold a token,
    /// and be readable by its owner only (a token others can read is as good as theirs).
    /// </summary>
    private static (string? Token, string? Error) ReadTokenFile(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            return (null, $"the token file {full} does not exist");
        }

        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(full);
            const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((mode & others) != 0)
            {
                return (null, $"the token file {full} can be read or changed by other users (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}); make it private first: chmod 600 {full}");
            }
        }

        string token;
        try
        {
            token = File.ReadAllText(full).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"the token file {full} cannot be read: {e.Message}");
        }

        return token.Length == 0 || token.Contains('\n', StringComparison.Ordinal)
            ? (null, $"the token file {full} must hold the join token on one line")
            : (token, null);
    }

    private static IEnumerable<KeyValuePair<string, string?>> FromEnvironment()
    {
        if (Environment.GetEnvironmentVariable("RINGMASTER_SERVER") is { Length: > 0 } server)
        {
            yield return new("Agent:Server", server);
        }

        if (Environment.GetEnvironmentVariable("RINGMASTER_JOIN_TOKEN") is { Length: > 0 } token)
        {
            yield return new("Agent:Token", token);
        }

        if (Environment.GetEnvironmentVariable("RINGMASTER_JOIN_TOKEN_FILE") is { Length: > 0 } tokenFile)
        {
            yield return new(TokenFileKey, tokenFile);
        }
    }
}
