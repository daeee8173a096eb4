using System.CommandLine;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ringmaster.Contracts;

namespace Ringmaster.Cli;

/// <summary>
/// <c>ringmaster login</c>: asks for a user name and password (the password without echo), or takes
/// <c>--user</c> and <c>--password-stdin</c>; exchanges them at <c>POST /api/v1/auth/login</c> for a
/// token and saves server and token to the config file (mode 0600).
/// </summary>
internal static class LoginCommand
{
    public static Command Build(CliEnvironment env, GlobalOptions globals)
    {
        var user = new Option<string?>("--user", "-u") { Description = "The user name (asked for when missing)." };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input (one line)." };
        var tokenName = new Option<string?>("--token-name") { Description = "The name the new token gets on the server (default: ringmaster-cli)." };
        var command = new Command("login", "Sign in and save the server URL and a token to the config file.") { user, passwordStdin, tokenName };
        CommandContext.SetAction(command, env, globals, async (context, cancellationToken) =>
        {
            var server = Connection.Resolve(context.Parsed.GetValue(globals.Server), null, env).Server;
            var userName = context.Get(user);
            if (string.IsNullOrWhiteSpace(userName))
            {
                await env.Error.WriteAsync("User: ").ConfigureAwait(false);
                userName = (await env.In.ReadLineAsync(cancellationToken).ConfigureAwait(false))?.Trim();
            }

            if (string.IsNullOrWhiteSpace(userName))
            {
                throw new CliException("A user name is required (--user).", ExitCodes.Usage);
            }

            var password = context.Get(passwordStdin)
                ? (await env.In.ReadLineAsync(cancellationToken).ConfigureAwait(false))?.TrimEnd('\r', '\n')
                : env.ReadSecret("Password: ") ?? throw new CliException("There is no terminal to ask for the password; pass it on standard input with --password-stdin.", ExitCodes.Usage);
            if (string.IsNullOrEmpty(password))
            {
                throw new CliException("A password is required.", ExitCodes.Usage);
            }

            // Never send a saved token along with a password.
            using var client = new RingmasterClient(new Connection(server, null));
            var body = new LoginRequest(userName, password, context.Get(tokenName) ?? "ringmaster-cli");
            JsonElement answer;
            try
            {
                answer = await client.SendAsync(HttpMethod.Post, "api/v1/auth/login", body, cancellationToken).ConfigureAwait(false);
            }
            catch (CliException e) when (e.Message.Contains("(401)", StringComparison.Ordinal) || e.Message.StartsWith("Not signed in", StringComparison.Ordinal))
            {
                throw new CliException($"Sign-in refused: wrong user name or password ({e.Message}).");
            }

            var signedIn = answer.As<LoginResponse>();
            var token = signedIn.Token;
            if (string.IsNullOrEmpty(token))
            {
                throw new CliException("The server's sign-in answer has no token.");
            }

            var path = new CliConfig(server.ToString(), token).Save(env);
            if (context.Json)
            {
                Output.Json(env.Out, JsonSerializer.SerializeToElement(new
                {
                    server = server.ToString(),
                    userName = signedIn.UserName,
                    role = signedIn.Role.Wire(),
                    expiresAt = signedIn.ExpiresAt.Wire(),
                    config = path,
                }));
            }
            else
            {
                await env.Out.WriteLineAsync($"Signed in to {server} as {signedIn.UserName} ({signedIn.Role.Wire()}); the token expires {signedIn.ExpiresAt.Wire()}. Saved to {path}.").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
