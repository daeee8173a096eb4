namespace Ringmaster.Cli;

/// <summary>
/// What the CLI talks to besides the server: its output streams, its input, its environment
/// variables and its terminal. <see cref="System"/> is the real process; tests pass their own.
/// </summary>
public sealed class CliEnvironment
{
    public required TextWriter Out { get; init; }
    public required TextWriter Error { get; init; }
    public required TextReader In { get; init; }
    public required Func<string, string?> GetVariable { get; init; }
    public required ITerminal Terminal { get; init; }

    /// <summary>Reads a secret from the terminal without echoing it; null when there is no terminal to ask.</summary>
    public Func<string, string?> ReadSecret { get; init; } = _ => null;

    public static CliEnvironment System() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        In = Console.In,
        GetVariable = Environment.GetEnvironmentVariable,
        Terminal = new SystemTerminal(),
        ReadSecret = ReadSecretFromConsole,
    };

    private static string? ReadSecretFromConsole(string prompt)
    {
        if (Console.IsInputRedirected)
        {
            return null;
        }

        Console.Error.Write(prompt);
        var secret = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (secret.Length > 0)
                {
                    secret.Length--;
                }
            }
            else if (key.KeyChar != '\0')
            {
                secret.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return secret.ToString();
    }
}

/// <summary>A failure to report to the user: the message goes to stderr, the code is the exit code.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>The CLI's exit codes.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The server refused or the action failed (a problem document, a failed operation, no connection).</summary>
    public const int Failed = 1;

    /// <summary>The command line or its input is not valid.</summary>
    public const int Usage = 2;
}
