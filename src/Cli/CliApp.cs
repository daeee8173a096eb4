using System.CommandLine;

namespace Ringmaster.Cli;

/// <summary>The <c>ringmaster</c> command tree; <see cref="RunAsync"/> runs one command line in process.</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, CliEnvironment env, CancellationToken cancellationToken = default)
    {
        var root = Build(env);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var error in parsed.Errors)
            {
                await env.Error.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            }

            await env.Error.WriteLineAsync($"Try '{string.Join(' ', CommandPath(parsed))} --help'.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { Output = env.Out, Error = env.Error, EnableDefaultExceptionHandler = false }, cancellationToken).ConfigureAwait(false);
    }

    private static IEnumerable<string> CommandPath(ParseResult parsed)
    {
        var names = new Stack<string>();
        for (var result = parsed.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Push(result.Command.Name);
        }

        return names;
    }

    public static RootCommand Build(CliEnvironment env)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("ringmaster: VMs and containers on your Ringmaster server, from the command line.")
        {
            globals.Server,
            globals.Token,
            globals.Json,
        };
        root.Subcommands.Add(LoginCommand.Build(env, globals));
        root.Subcommands.Add(HostsCommands.Build(env, globals));
        root.Subcommands.Add(MachinesCommands.Build(env, globals));
        root.Subcommands.Add(ImagesCommands.Build(env, globals));
        root.Subcommands.Add(ConsoleCommand.Build(env, globals));
        root.Subcommands.Add(OperationsCommands.Build(env, globals));
        root.Subcommands.Add(AlertRulesCommands.Build(env, globals));
        return root;
    }
}

/// <summary>The options every command takes.</summary>
public sealed class GlobalOptions
{
    public Option<string?> Server { get; } = new("--server", "-s")
    {
        Description = "The server URL (else RINGMASTER_URL, else the config file, else http://127.0.0.1:5080).",
        Recursive = true,
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "The API token (else RINGMASTER_TOKEN, else the config file's token for that server).",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print JSON for scripts instead of tables.",
        Recursive = true,
    };
}

/// <summary>What a command's action works with.</summary>
internal sealed class CommandContext(CliEnvironment env, GlobalOptions globals, ParseResult parsed)
{
    private RingmasterClient? _client;

    public CliEnvironment Env => env;
    public ParseResult Parsed => parsed;
    public bool Json => parsed.GetValue(globals.Json);
    public TextWriter Out => env.Out;

    public RingmasterClient Client => _client ??= new RingmasterClient(Connection.Resolve(parsed.GetValue(globals.Server), parsed.GetValue(globals.Token), env));

    public T? Get<T>(Option<T> option) => parsed.GetValue(option);

    public T? Get<T>(Argument<T> argument) => parsed.GetValue(argument);

    /// <summary>Runs an action: a <see cref="CliException"/> becomes "error: …" on stderr and its exit code.</summary>
    public static void SetAction(Command command, CliEnvironment env, GlobalOptions globals, Func<CommandContext, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var context = new CommandContext(env, globals, parsed);
            try
            {
                return await action(context, cancellationToken).ConfigureAwait(false);
            }
            catch (CliException e)
            {
                await env.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return e.ExitCode;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await env.Error.WriteLineAsync("cancelled").ConfigureAwait(false);
                return 130;
            }
            finally
            {
                context._client?.Dispose();
            }
        });
}
