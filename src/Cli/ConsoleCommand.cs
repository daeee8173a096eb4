using System.CommandLine;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Ringmaster.Contracts;

namespace Ringmaster.Cli;

/// <summary>
/// <c>ringmaster console NAME</c>: the machine's console in this terminal, raw, over the
/// <c>/api/v1/machines/{id}/console</c> WebSocket. The terminal's size is sent at the start and on
/// every resize; Ctrl-] detaches (the guest keeps running).
/// </summary>
internal static class ConsoleCommand
{
    public const byte DetachKey = 0x1D; // Ctrl-]

    public static Command Build(CliEnvironment env, GlobalOptions globals)
    {
        var name = MachinesCommands.NameArgument();
        var command = new Command("console", "Attach this terminal to a machine's console (Ctrl-] detaches).") { name };
        CommandContext.SetAction(command, env, globals, async (context, cancellationToken) =>
        {
            var machine = (await MachinesCommands.GetMachineAsync(context, context.Get(name)!, cancellationToken).ConfigureAwait(false)).As<MachineView>();
            var id = machine.Id.ToString();
            var terminal = env.Terminal;
            using var socket = new ClientWebSocket();
            if (context.Client.Connection.Token is { } token)
            {
                socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
            }

            var server = context.Client.Connection.Server;
            var uri = new UriBuilder(new Uri(server, $"api/v1/machines/{id}/console")) { Scheme = server.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" }.Uri;
            try
            {
                await socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
            }
            catch (WebSocketException e)
            {
                throw new CliException($"Cannot open the console of {machine.Name}: {e.Message}");
            }

            await env.Error.WriteLineAsync($"Connected to {machine.Name} ({machine.State.Wire()}). Ctrl-] detaches.").ConfigureAwait(false);
            await SendSizeAsync(context, id, terminal, cancellationToken).ConfigureAwait(false);
            using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var resize = terminal.OnResize(() => _ = SendSizeAsync(context, id, terminal, session.Token));
            string reason;
            using (terminal.EnterRawMode())
            {
                var output = PumpOutputAsync(socket, terminal.Output, session.Token);
                var input = Task.Run(() => PumpInputAsync(socket, terminal.Input, session.Token), CancellationToken.None);
                var first = await Task.WhenAny(output, input).ConfigureAwait(false);
                reason = await first.ConfigureAwait(false);
                await session.CancelAsync().ConfigureAwait(false);
                if (first == input)
                {
                    await ((Task)output).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                // The input pump may sit in a blocking read of the terminal; it ends with the process.
            }

            if (socket.State == WebSocketState.Open)
            {
                using var close = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "detached", close.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            await env.Error.WriteLineAsync().ConfigureAwait(false);
            await env.Error.WriteLineAsync(reason).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task SendSizeAsync(CommandContext context, string id, ITerminal terminal, CancellationToken cancellationToken)
    {
        if (terminal.Size is not { } size)
        {
            return;
        }

        try
        {
            await context.Client.SendAsync(HttpMethod.Post, $"api/v1/machines/{id}/console/size", new { columns = size.Columns, rows = size.Rows }, cancellationToken).ConfigureAwait(false);
        }
        catch (CliException)
        {
            // A VM's serial line has no size, and an offline host cannot take one: the console works without.
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<string> PumpOutputAsync(ClientWebSocket socket, Stream output, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return string.IsNullOrEmpty(socket.CloseStatusDescription) ? "The console closed." : $"The console closed: {socket.CloseStatusDescription}";
                }

                // A text message is the server's word (the machine moved, the console follows it), not the guest's output.
                var bytes = result.MessageType == WebSocketMessageType.Text ? Notice(buffer.AsSpan(0, result.Count)) : buffer.AsMemory(0, result.Count);
                await output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return "Detached.";
        }
        catch (WebSocketException e)
        {
            return $"The console connection was lost: {e.Message}";
        }
    }

    /// <summary>A console event (<c>{"event": …, "text": …}</c>) as a line of its own.</summary>
    private static byte[] Notice(ReadOnlySpan<byte> message)
    {
        string? text;
        try
        {
            using var document = JsonDocument.Parse(message.ToArray());
            text = document.RootElement.TryGetProperty("text", out var t) ? t.GetString() : null;
        }
        catch (JsonException)
        {
            text = null;
        }

        return text is null ? [] : Encoding.UTF8.GetBytes($"\r\n[{text}]\r\n");
    }

    private static async Task<string> PumpInputAsync(ClientWebSocket socket, Stream input, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return "Detached (end of input).";
                }

                var detach = Array.IndexOf(buffer, DetachKey, 0, read);
                var count = detach < 0 ? read : detach;
                if (count > 0)
                {
                    await socket.SendAsync(buffer.AsMemory(0, count), WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
                }

                if (detach >= 0)
                {
                    return "Detached.";
                }
            }
        }
        catch (OperationCanceledException)
        {
            return "Detached.";
        }
        catch (WebSocketException e)
        {
            return $"The console connection was lost: {e.Message}";
        }
    }

}
