using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Core.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

/// <summary>A machine's console over a WebSocket: raw bytes both ways, scrollback first.</summary>
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
        IAgentGateway agents,
        ILoggerFactory loggers)
    {
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

        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        using var subscription = consoles.Subscribe(machine.Id);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        try
        {
            await agents.OpenConsoleAsync(hostId, machine.Id, done.Token);
        }
        catch (Exception ex) when (ex is AgentCommandException or AgentUnavailableException)
        {
            loggers.CreateLogger(typeof(ConsoleApi)).LogDebug(ex, "Console of {Machine} not opened", machine.Name);
        }

        var machineId = machine.Id;
        var send = Task.Run(async () =>
        {
            if (subscription.Scrollback.Length > 0)
            {
                await socket.SendAsync(subscription.Scrollback, WebSocketMessageType.Binary, true, done.Token);
            }

            await foreach (var chunk in subscription.Output.ReadAllAsync(done.Token))
            {
                await socket.SendAsync(chunk, WebSocketMessageType.Binary, true, done.Token);
            }
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

                if (received.Count > 0)
                {
                    await agents.SendConsoleInputAsync(hostId, new ConsoleChunk(machineId, buffer[..received.Count]), done.Token);
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
        }

        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return Results.Empty;
    }
}
