using System.Net.WebSockets;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

/// <summary>
/// A QEMU VM's graphical console over a WebSocket: the RFB (VNC) protocol's bytes both ways, as
/// noVNC speaks it. The agent connects to the VM's VNC socket and carries the bytes over two
/// transfers of the server's relay (agents only dial the server); each WebSocket is one RFB session.
/// </summary>
public static class DisplayApi
{
    public const string PathSuffix = "/vnc";

    public static IEndpointRouteBuilder MapDisplayApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/machines/{id}" + PathSuffix, Display).WithTags("Machines")
            .WithName("OpenDisplay").WithSummary("Open a QEMU VM's graphical console (WebSocket, RFB bytes both ways, as VNC viewers like noVNC speak it)")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    public static async Task<IResult> Display(
        HttpContext http,
        string id,
        IDbContextFactory<RingmasterDbContext> dbFactory,
        TransferRelay relay,
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

        if (machine.Kind != MachineKind.Vm || machine.Engine != VmEngine.Qemu)
        {
            return ApiResults.Problem(ResultKind.Conflict, $"{machine.Name} has no graphical console: only QEMU VMs have one.");
        }

        if (machine.State != MachineState.Running)
        {
            return ApiResults.Problem(ResultKind.Conflict, $"{machine.Name} is not running: its display is off.");
        }

        if (machine.HostId is not { } hostId || !agents.IsConnected(hostId))
        {
            return ApiResults.Problem(ResultKind.Conflict, "The machine's host is offline.");
        }

        if (!http.WebSockets.IsWebSocketRequest)
        {
            return ApiResults.Problem(ResultKind.Invalid, "The graphical console is a WebSocket: connect with a WebSocket client (a VNC viewer such as noVNC).");
        }

        // Both transfers run between the server and the machine's host: the agent sends the guest's
        // output on one and reads the viewer's input from the other.
        using var output = relay.Open(hostId, hostId, $"display of {machine.Name}");
        using var input = relay.Open(hostId, hostId, $"display input of {machine.Name}");
        try
        {
            await agents.OpenDisplayAsync(hostId, new DisplayStream(machine.Id, output.Id, input.Id), http.RequestAborted);
        }
        catch (AgentCommandException ex)
        {
            return ApiResults.Problem(ResultKind.Conflict, ex.Message);
        }
        catch (AgentUnavailableException ex)
        {
            loggers.CreateLogger(typeof(DisplayApi)).LogDebug(ex, "Display of {Machine} not opened", machine.Name);
            return ApiResults.Problem(ResultKind.Conflict, "The machine's host did not answer: " + ex.Message);
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, output.Failed, input.Failed);
        var send = Task.Run(async () =>
        {
            await foreach (var chunk in output.Reader.ReadAllAsync(done.Token))
            {
                await socket.SendAsync(chunk, WebSocketMessageType.Binary, true, done.Token);
                output.MarkDelivered(chunk.Length);
            }
        });

        var buffer = new byte[64 * 1024];
        var receive = Task.Run(async () =>
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
                    await input.WriteAsync(buffer[..received.Count], done.Token);
                }
            }
        });

        try
        {
            var first = await Task.WhenAny(send, receive);
            if (first == send && socket.State == WebSocketState.Open)
            {
                // The guest's side ended (QEMU quit, the host went away): the viewer is told why
                // before the read is cancelled (a cancelled read aborts the socket).
                var reason = output.FailureReason ?? "The display closed.";
                using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, reason.Length > 120 ? reason[..120] : reason, closing.Token)
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            await done.CancelAsync();
            await send.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await receive.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (socket.State == WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return Results.Empty;
    }
}
