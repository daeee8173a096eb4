using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

/// <summary>
/// A machine's console over a WebSocket: raw bytes both ways, scrollback first. The console follows
/// the machine: after a live migration it is attached to the new host, and the viewer is told in a
/// text message (<see cref="ConsoleEvent"/>).
/// </summary>
public static class ConsoleApi
{
    public static IEndpointRouteBuilder MapConsoleApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/machines/{id}/console", Console).WithTags("Machines")
            .WithName("OpenConsole").WithSummary("Open a machine's console (WebSocket, raw bytes both ways)");
        app.MapPost("/api/v1/machines/{id}/console/size", Resize).WithTags("Machines")
            .WithName("ResizeConsole").WithSummary("Set the size of a machine's console terminal")
            .WithMetadata(Access.NotAChange.Instance);
        return app;
    }

    /// <summary>The body of a console resize: the terminal's size in character cells.</summary>
    public sealed record ConsoleSizeRequest(int Columns, int Rows);

    /// <summary>Tells the guest's terminal its new size (containers' TTYs; a VM's serial line has none and ignores it).</summary>
    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Resize(
        string id, ConsoleSizeRequest size, IDbContextFactory<RingmasterDbContext> dbFactory, IAgentGateway agents, CancellationToken cancellationToken)
    {
        if (size.Columns is < 1 or > 1000 || size.Rows is < 1 or > 1000)
        {
            return ApiResults.Invalid("size", "columns and rows must be between 1 and 1000.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var machine = await MachineLookup.FindAsync(db, id, cancellationToken);
        if (machine is null)
        {
            return ApiResults.Problem(ResultKind.NotFound, "No such machine.");
        }

        if (machine.HostId is not { } hostId || !agents.IsConnected(hostId))
        {
            return ApiResults.Problem(ResultKind.Conflict, "The machine's host is offline.");
        }

        await agents.ResizeConsoleAsync(hostId, new ConsoleSize(machine.Id, size.Columns, size.Rows), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<IResult> Console(
        HttpContext http,
        string id,
        IDbContextFactory<RingmasterDbContext> dbFactory,
        ConsoleBroker consoles,
        LiveFeed feed,
        IAgentGateway agents,
        ILoggerFactory loggers)
    {
        // Subscribed before the machine is read, so a move that ends in between is not missed.
        using var changes = feed.Subscribe();
        Core.Domain.MachineEntity? machine;
        await using (var db = await dbFactory.CreateDbContextAsync(http.RequestAborted))
        {
            machine = await MachineLookup.FindAsync(db, id, http.RequestAborted);
        }

        if (machine is null)
        {
            return ApiResults.Problem(ResultKind.NotFound, "No such machine.");
        }

        if (!http.WebSockets.IsWebSocketRequest)
        {
            return ApiResults.Problem(ResultKind.Invalid, "The console is a WebSocket: connect with a WebSocket client.");
        }

        if (machine.HostId is not { } hostId || !agents.IsConnected(hostId))
        {
            return ApiResults.Problem(ResultKind.Conflict, "The machine's host is offline.");
        }

        var logger = loggers.CreateLogger(typeof(ConsoleApi));
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        using var subscription = consoles.Subscribe(machine.Id);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var session = new ConsoleSocket(socket, machine.Id, hostId);
        await OpenOnHostAsync(agents, session.MachineId, hostId, logger, done.Token);

        var send = Task.Run(async () =>
        {
            if (subscription.Scrollback.Length > 0)
            {
                await session.SendOutputAsync(subscription.Scrollback, done.Token);
            }

            await foreach (var chunk in subscription.Output.ReadAllAsync(done.Token))
            {
                await session.SendOutputAsync(chunk, done.Token);
            }
        });
        var moving = machine.State == MachineState.Migrating;
        var detail = machine.Detail;
        async Task<MachineView?> ReadAgainAsync(CancellationToken cancellationToken)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            return await Views.MachineAsync(db, session.MachineId, cancellationToken);
        }

        var follow = Task.Run(async () =>
        {
            if (moving)
            {
                await session.SendEventAsync(Moving(detail), done.Token);
            }

            await FollowAsync(session, changes, moving, agents, ReadAgainAsync, logger, done.Token);
        });

        var buffer = new byte[16 * 1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var received = await socket.ReceiveAsync(buffer, done.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                // Input goes to the host the machine runs on now: after a live migration, the new one.
                if (received.Count > 0)
                {
                    await agents.SendConsoleInputAsync(session.HostId, new ConsoleChunk(session.MachineId, buffer[..received.Count]), done.Token);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or AgentUnavailableException)
        {
        }
        finally
        {
            await done.CancelAsync();
            await send.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await follow.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return Results.Empty;
    }

    /// <summary>Asks the host to stream the machine's console; one that cannot is logged, and the viewer sees no output.</summary>
    private static async Task OpenOnHostAsync(IAgentGateway agents, Guid machineId, Guid hostId, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await agents.OpenConsoleAsync(hostId, machineId, cancellationToken);
        }
        catch (Exception ex) when (ex is AgentCommandException or AgentUnavailableException)
        {
            logger.LogDebug(ex, "Console of {Machine} not opened on host {Host}", machineId, hostId);
        }
    }

    /// <summary>
    /// Follows the machine while its console is open: while it moves, the viewer is told the console
    /// waits for it; when it has moved, input goes to the new host, that host streams the console, and
    /// the viewer is told it reconnected there; a move that failed leaves it where it was. When changes
    /// were lost (<see cref="ChangesMissed"/>, a storm the console could not keep up with), the machine
    /// is read again, so a move among them is not missed.
    /// </summary>
    private static async Task FollowAsync(ConsoleSocket session, LiveSubscription changes, bool moving, IAgentGateway agents,
        Func<CancellationToken, Task<MachineView?>> readAgain, ILogger logger, CancellationToken cancellationToken)
    {
        await foreach (var change in changes.ReadAllAsync(cancellationToken))
        {
            var seen = change switch
            {
                MachineChanged { Machine: var changed } when changed.Id == session.MachineId => changed,
                ChangesMissed => await ReadAgainOrNullAsync(readAgain, logger, cancellationToken),
                _ => null,
            };
            if (seen is not { } machine)
            {
                continue;
            }

            if (machine.HostId is { } hostId && hostId != session.HostId)
            {
                session.HostId = hostId;
                moving = false;
                await OpenOnHostAsync(agents, machine.Id, hostId, logger, cancellationToken);
                await session.SendEventAsync(new ConsoleEvent("moved", $"Reconnected after the move to {machine.Host}.", machine.Host), cancellationToken);
            }
            else if (machine.State == MachineState.Migrating && !moving)
            {
                moving = true;
                await session.SendEventAsync(Moving(machine.Detail), cancellationToken);
            }
            else if (machine.State != MachineState.Migrating && moving)
            {
                moving = false;
                await session.SendEventAsync(new ConsoleEvent("stayed", $"The machine stayed on {machine.Host}: connected again.", machine.Host), cancellationToken);
            }
        }
    }

    private static async Task<MachineView?> ReadAgainOrNullAsync(Func<CancellationToken, Task<MachineView?>> readAgain, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            return await readAgain(cancellationToken);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
        {
            logger.LogDebug(ex, "Could not read the machine again after lost changes");
            return null;
        }
    }

    private static ConsoleEvent Moving(string? detail) =>
        new("moving", $"{(detail is { Length: > 0 } ? detail.TrimEnd('.') : "Moving to another host")}: the console follows the machine there.", null);

    /// <summary>
    /// What the console tells its viewer besides the guest's output, as a text message (the output is
    /// binary): "moving" while the machine moves to another host, "moved" once it runs there (the
    /// console is attached to it again), "stayed" when the move did not happen.
    /// </summary>
    public sealed record ConsoleEvent(string Event, string Text, string? Host);

    /// <summary>One open console socket: the host its input goes to, and sends that never overlap.</summary>
    private sealed class ConsoleSocket(WebSocket socket, Guid machineId, Guid hostId)
    {
        private readonly SemaphoreSlim _sending = new(1, 1);
        private readonly Lock _lock = new();
        private Guid _hostId = hostId;

        public Guid MachineId { get; } = machineId;

        /// <summary>The host the machine runs on: where input goes. Changed by a move while input is read.</summary>
        public Guid HostId
        {
            get
            {
                lock (_lock)
                {
                    return _hostId;
                }
            }
            set
            {
                lock (_lock)
                {
                    _hostId = value;
                }
            }
        }

        public Task SendOutputAsync(byte[] bytes, CancellationToken cancellationToken) =>
            SendAsync(bytes, WebSocketMessageType.Binary, cancellationToken);

        public Task SendEventAsync(ConsoleEvent consoleEvent, CancellationToken cancellationToken) =>
            SendAsync(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(consoleEvent, s_json), WebSocketMessageType.Text, cancellationToken);

        private async Task SendAsync(byte[] bytes, WebSocketMessageType type, CancellationToken cancellationToken)
        {
            await _sending.WaitAsync(cancellationToken);
            try
            {
                await socket.SendAsync(bytes, type, true, cancellationToken);
            }
            finally
            {
                _sending.Release();
            }
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions s_json = new(System.Text.Json.JsonSerializerDefaults.Web);
}
