using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Transfers;
using Ringmaster.Contracts;

namespace Ringmaster.Agents;

/// <summary>
/// Graphical consoles being viewed: one connection to the guest's display per viewer, its bytes
/// carried to and from the server over two transfers of the server's relay (agents only dial the
/// server). The session ends when the guest's display, the viewer or the server goes away.
/// </summary>
public sealed class DisplaySessions(GuestDrivers drivers, HostTransfers transfers, ILogger<DisplaySessions> logger) : IAsyncDisposable
{
    private const int ReadBytes = 64 * 1024;
    private static readonly TimeSpan s_connectTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _sessions = new();

    /// <summary>Connects to the guest's display and starts carrying its bytes; answers whether the display accepted the connection.</summary>
    public async Task<CommandAck> OpenAsync(GuestEngineKey? engine, DisplayStream stream)
    {
        if (engine is not { } key)
        {
            return new CommandAck(false, "No such guest on this host.");
        }

        if (drivers.Find<IGuestDisplay>(key) is not { } display)
        {
            return new CommandAck(false, $"{char.ToUpperInvariant(key.Guests[0])}{key.Guests[1..]} have no graphical console.");
        }

        Stream connection;
        try
        {
            using var timeout = new CancellationTokenSource(s_connectTimeout);
            connection = await display.ConnectDisplayAsync(stream.MachineId, timeout.Token).ConfigureAwait(false);
        }
        catch (GuestException ex)
        {
            return new CommandAck(false, ex.Message);
        }
        catch (OperationCanceledException)
        {
            return new CommandAck(false, "The guest's display did not answer in time.");
        }

        var stop = new CancellationTokenSource();
        _sessions[stream.OutputTransferId] = stop;
        _ = Task.Run(() => CarryAsync(stream, connection, stop));
        return new CommandAck(true);
    }

    private async Task CarryAsync(DisplayStream stream, Stream connection, CancellationTokenSource stop)
    {
        var output = transfers.SendAsync(stream.OutputTransferId, async (sink, ct) =>
        {
            var buffer = new byte[ReadBytes];
            int read;
            while ((read = await connection.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await sink.WriteAsync(buffer[..read], ct).ConfigureAwait(false);
            }
        }, stop.Token);
        var input = Task.Run(async () =>
        {
            await foreach (var chunk in transfers.ReceiveAsync(stream.InputTransferId, stop.Token).ConfigureAwait(false))
            {
                await connection.WriteAsync(chunk, stop.Token).ConfigureAwait(false);
            }
        }, CancellationToken.None);

        try
        {
            var first = await Task.WhenAny(output, input).ConfigureAwait(false);
            if (first.Exception?.GetBaseException() is { } ex and not OperationCanceledException)
            {
                logger.LogDebug("Display of {Machine} ended: {Reason}", stream.MachineId, ex.Message);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            await output.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await input.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _sessions.TryRemove(stream.OutputTransferId, out _);
            stop.Dispose();
        }
    }

    /// <summary>Ends every session (the agent stops).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var (_, stop) in _sessions)
        {
            try
            {
                await stop.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
