using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Ringmaster.Agents.Drivers.Qemu.Qmp;

/// <summary>
/// The QEMU guest agent inside a VM (qemu-guest-agent), reached on the VM folder's <c>qga.sock</c>:
/// JSON commands, one per line, answered by the agent in the guest. A guest without the agent (or one
/// that has not started it yet) never answers: every call is bounded by its timeout.
/// </summary>
internal static class GuestAgentClient
{
    /// <summary>
    /// Asks the guest's agent to power the guest off (<c>guest-shutdown</c>, mode powerdown), after a
    /// <c>guest-sync</c> shows an agent answers. True when it was asked; false when no agent answered in time.
    /// </summary>
    public static async Task<bool> ShutdownAsync(string socketPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), bounded.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.UTF8);

            // guest-sync with a fresh id: whatever an earlier client left unread is skipped up to its answer.
            var id = Random.Shared.Next(1, int.MaxValue);
            await stream.WriteAsync(Encoding.UTF8.GetBytes($$$"""{"execute":"guest-sync","arguments":{"id":{{{id}}}}}""" + "\n"), bounded.Token).ConfigureAwait(false);
            while (await reader.ReadLineAsync(bounded.Token).ConfigureAwait(false) is { } line)
            {
                using var answer = JsonDocument.Parse(line);
                if (answer.RootElement.TryGetProperty("return", out var value) && value.ValueKind == JsonValueKind.Number && value.GetInt64() == id)
                {
                    // guest-shutdown answers nothing when it works: the guest goes down.
                    await stream.WriteAsync(Encoding.UTF8.GetBytes("""{"execute":"guest-shutdown","arguments":{"mode":"powerdown"}}""" + "\n"), bounded.Token).ConfigureAwait(false);
                    return true;
                }
            }

            return false;
        }
        catch (Exception e) when (e is SocketException or IOException or JsonException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}

/// <summary>
/// One connection to a guest's agent (its <c>qga.sock</c>) for several commands in a row, such as a
/// filesystem freeze and its thaw around a disk snapshot (QEMU serves the socket to one client at a
/// time, so both go through the same connection). <see cref="OpenAsync"/> answers null when no agent
/// answered <c>guest-sync</c> within the timeout: a guest without qemu-guest-agent, or not booted yet.
/// </summary>
internal sealed class GuestAgentSession : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private GuestAgentSession(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    public static async Task<GuestAgentSession?> OpenAsync(string socketPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        GuestAgentSession? session = null;
        try
        {
            using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                bounded.CancelAfter(timeout);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), bounded.Token).ConfigureAwait(false);
            }

            session = new GuestAgentSession(socket);
            // guest-sync with a fresh id: whatever an earlier client left unread is skipped up to its answer.
            var id = Random.Shared.Next(1, int.MaxValue);
            await session.ExecuteAsync("guest-sync", $$"""{"id":{{id}}}""", timeout, cancellationToken, syncId: id).ConfigureAwait(false);
            return session;
        }
        catch (Exception e) when (e is SocketException or IOException or JsonException or GuestAgentException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // no agent answered
        }

        if (session is not null)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            socket.Dispose();
        }

        return null;
    }

    /// <summary>
    /// Sends one command (its arguments as a JSON object, or null) and returns its <c>return</c>; an
    /// <c>error</c> answer throws <see cref="GuestAgentException"/> with the agent's words, and no
    /// answer within <paramref name="timeout"/> an <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<JsonElement> ExecuteAsync(string command, string? arguments, TimeSpan timeout, CancellationToken cancellationToken, long? syncId = null)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        var request = arguments is null
            ? $$"""{"execute":"{{command}}"}"""
            : $$"""{"execute":"{{command}}","arguments":{{arguments}}}""";
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(request + "\n"), bounded.Token).ConfigureAwait(false);
        while (await _reader.ReadLineAsync(bounded.Token).ConfigureAwait(false) is { } line)
        {
            // guest-sync's answer may follow bytes an earlier client left (a 0xFF sentinel, a stale answer)
            var start = line.IndexOf('{', StringComparison.Ordinal);
            if (start < 0)
            {
                continue;
            }

            using var answer = JsonDocument.Parse(line[start..]);
            if (answer.RootElement.TryGetProperty("return", out var value))
            {
                if (syncId is { } sync && !(value.ValueKind == JsonValueKind.Number && value.GetInt64() == sync))
                {
                    continue;
                }

                return value.Clone();
            }

            if (answer.RootElement.TryGetProperty("error", out var error))
            {
                throw new GuestAgentException(command, error.TryGetProperty("desc", out var desc) ? desc.GetString() ?? "" : error.ToString());
            }
        }

        throw new IOException("The guest agent's connection closed.");
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }
}

/// <summary>The guest agent answered a command with an error.</summary>
internal sealed class GuestAgentException(string command, string description) : Exception($"the guest agent refused '{command}': {description}");
