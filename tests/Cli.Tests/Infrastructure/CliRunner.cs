using System.Text;

namespace Ringmaster.Cli.Tests.Infrastructure;

/// <summary>What a user sees from one run of the CLI: exit code, standard output and standard error.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs <c>ringmaster</c>'s command tree in process with its own environment variables, config
/// folder (<c>XDG_CONFIG_HOME</c>), standard input and terminal.
/// </summary>
public sealed class CliRunner : IDisposable
{
    public string ConfigHome { get; } = Directory.CreateTempSubdirectory("ringmaster-cli-config-").FullName;
    public Dictionary<string, string?> Variables { get; } = [];
    public FakeTerminal Terminal { get; set; } = new();
    public string Input { get; set; } = "";
    public Func<string, string?> ReadSecret { get; set; } = _ => null;
    public List<string> Prompts { get; } = [];

    public string ConfigPath => Path.Combine(ConfigHome, "ringmaster", "config.json");

    /// <summary>A runner whose environment points at <paramref name="server"/> with the token its client uses.</summary>
    public static CliRunner For(HttpClient server)
    {
        var runner = new CliRunner();
        runner.Variables["RINGMASTER_URL"] = server.BaseAddress!.ToString();
        runner.Variables["RINGMASTER_TOKEN"] = server.DefaultRequestHeaders.Authorization?.Parameter;
        return runner;
    }

    public async Task<CliResult> RunAsync(params string[] args) => await RunAsync(args, CancellationToken.None);

    public async Task<CliResult> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var output = new StringWriter(new StringBuilder());
        var error = new StringWriter(new StringBuilder());
        var env = new CliEnvironment
        {
            Out = TextWriter.Synchronized(output),
            Error = TextWriter.Synchronized(error),
            In = new StringReader(Input),
            GetVariable = name => name == "XDG_CONFIG_HOME" ? ConfigHome : Variables.GetValueOrDefault(name),
            Terminal = Terminal,
            ReadSecret = prompt =>
            {
                Prompts.Add(prompt);
                return ReadSecret(prompt);
            },
        };
        var exit = await CliApp.RunAsync(args, env, cancellationToken);
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(ConfigHome, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
