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
