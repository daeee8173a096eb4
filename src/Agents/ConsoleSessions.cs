using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers;
using Ringmaster.Contracts;

namespace Ringmaster.Agents;

/// <summary>
/// One attached console per running guest: its output streams to the server, and input from the
/// server is written to it.
/// </summary>
public sealed class ConsoleSessions(ILogger<ConsoleSessions> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, Session> _sessions = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IAgentUplink? _uplink;

    public void Attach(IAgentUplink uplink) => _uplink = uplink;

    public bool IsOpen(Guid machineId) => _sessions.ContainsKey(machineId);

    public async Task OpenAsync(IGuestDriver driver, Guid machineId)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_sessions.ContainsKey(machineId))
            {
                return;
            }

            var console = await driver.AttachConsoleAsync(machineId, CancellationToken.None).ConfigureAwait(false);
            var session = new Session(console);
            _sessions[machineId] = session;
            session.Pump = Task.Run(() => PumpAsync(machineId, session));
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task PumpAsync(Guid machineId, Session session)
    {
        try
        {
            await foreach (var chunk in session.Console.Output.ReadAllAsync(session.Stop.Token).ConfigureAwait(false))
            {
                if (_uplink is not null)
                {
                    await _uplink.SendIfConnectedAsync(nameof(IAgentHub.ConsoleOutput), new ConsoleChunk(machineId, chunk)).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Console of {Machine} ended", machineId);
        }
        finally
        {
            if (_sessions.TryGetValue(machineId, out var current) && ReferenceEquals(current, session))
            {
                _sessions.TryRemove(machineId, out _);
            }

            await session.Console.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async Task WriteAsync(ConsoleChunk chunk)
    {
        if (_sessions.TryGetValue(chunk.MachineId, out var session))
        {
            try
            {
                await session.Console.WriteAsync(chunk.Data, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or GuestException)
            {
                logger.LogDebug(ex, "Console input to {Machine} was dropped", chunk.MachineId);
            }
        }
    }

    public async Task ResizeAsync(ConsoleSize size)
    {
        if (_sessions.TryGetValue(size.MachineId, out var session))
        {
            try
            {
                await session.Console.ResizeAsync(size.Columns, size.Rows, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or GuestException)
            {
                logger.LogDebug(ex, "Console resize of {Machine} failed", size.MachineId);
            }
        }
    }

    public async Task CloseAsync(Guid machineId)
    {
        if (_sessions.TryRemove(machineId, out var session))
        {
            await session.Stop.CancelAsync().ConfigureAwait(false);
            if (session.Pump is not null)
            {
                await session.Pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var id in _sessions.Keys)
        {
            await CloseAsync(id).ConfigureAwait(false);
        }
    }

    private sealed class Session(IGuestConsole console)
    {
        public IGuestConsole Console { get; } = console;
        public CancellationTokenSource Stop { get; } = new();
        public Task? Pump { get; set; }
    }
}
