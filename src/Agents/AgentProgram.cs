using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ringmaster.Agents;

/// <summary>Entry point of <c>ringmaster-agent --server URL --token TOKEN --data DIR [--name NAME]</c>.</summary>
public static class AgentProgram
{
    private static readonly Dictionary<string, string> s_switches = new()
    {
        ["--server"] = "Agent:Server",
        ["--token"] = "Agent:Token",
        ["--data"] = "Agent:Data",
        ["--name"] = "Agent:Name",
    };

    public static async Task<int> Main(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine("""
                ringmaster-agent: runs guests on this host for a Ringmaster server.

                  --server URL    the server's address (env RINGMASTER_SERVER)
                  --token TOKEN   the join token (env RINGMASTER_JOIN_TOKEN)
                  --data DIR      the agent's data folder (default ./agent-data)
                  --name NAME     the host's name (default: the machine's host name)
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

        var server = builder.Configuration["Agent:Server"];
        if (string.IsNullOrWhiteSpace(server) || !Uri.TryCreate(server, UriKind.Absolute, out var serverUri) || serverUri.Scheme is not ("http" or "https"))
        {
            Console.Error.WriteLine("ringmaster-agent: --server must be the server's http(s) address, for example http://127.0.0.1:5080");
            return 2;
        }

        if (string.IsNullOrWhiteSpace(builder.Configuration["Agent:Token"]))
        {
            Console.Error.WriteLine("ringmaster-agent: --token (or RINGMASTER_JOIN_TOKEN) must give the server's join token");
            return 2;
        }

        builder.AddRingmasterAgent(stopOnRejectedToken: true);
        builder.Services.AddSingleton<IAgentServerAddress>(new FixedServerAddress(serverUri));
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
    }
}
