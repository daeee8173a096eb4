using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Transfers;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Migration;

/// <summary>
/// The agent's side of moving guests between hosts: answers pre-flight probes and carries out the
/// migration commands (send, receive, abort) through its drivers and the server's transfer relay.
/// </summary>
public sealed class AgentMigrations(GuestDrivers drivers, HostTransfers transfers, ConsoleSessions consoles, ILogger<AgentMigrations> logger)
{
    public async Task<MigrationProbe> ProbeAsync(MigrationProbeRequest request)
    {
        IMigratableDriver driver;
        try
        {
            driver = drivers.For<IMigratableDriver>(request.Kind);
        }
        catch (GuestCapabilityMissingException ex)
        {
            return new MigrationProbe(false, true, false, null, ex.Message);
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
            return await driver.ProbeAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is GuestException or OperationCanceledException)
        {
            return new MigrationProbe(true, true, false, null, ex.Message);
        }
    }

    /// <summary>Runs a migration command; the result carries what this side moved.</summary>
    public async Task<CommandResult> ExecuteAsync(AgentCommand command, IProgress<int> progress, CancellationToken cancellationToken)
    {
        var order = command.Migration ?? throw new GuestException("A migration command needs its order.");
        switch (command.Kind)
        {
            case AgentCommandKind.MigrateOut:
            {
                var driver = await DriverOfAsync(command.MachineId, cancellationToken).ConfigureAwait(false);
                MigrationFigures? figures = null;
                await transfers.SendAsync(order.TransferId, async (output, ct) =>
                    figures = await driver.SendAsync(command.MachineId, order, output, progress, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Sent guest {Machine}: {Bytes} bytes in {Rounds} rounds", command.MachineId, figures!.Bytes, figures.Rounds);
                return new CommandResult(command.CommandId, true, null, null, Migration: figures);
            }

            case AgentCommandKind.MigrateIn:
            {
                var definition = command.Definition ?? throw new GuestException("Receiving a guest needs its definition.");
                var driver = drivers.For<IMigratableDriver>(GuestEngineKey.Of(definition));
                var (guest, figures) = await driver.ReceiveAsync(definition, order, transfers.ReceiveAsync(order.TransferId, cancellationToken), cancellationToken).ConfigureAwait(false);
                if (guest.State == MachineState.Running && drivers.Find<IGuestDriver>(GuestEngineKey.Of(definition)) is { } guestDriver)
                {
                    await consoles.OpenAsync(guestDriver, guest.Id).ConfigureAwait(false);
                }

                return new CommandResult(command.CommandId, true, guest, null, Migration: figures);
            }

            case AgentCommandKind.MigrateAbort:
            {
                var driver = await DriverOfAsync(command.MachineId, cancellationToken).ConfigureAwait(false);
                var guest = await driver.AbortSendAsync(command.MachineId, cancellationToken).ConfigureAwait(false);
                return new CommandResult(command.CommandId, true, guest, null);
            }

            default:
                throw new GuestException($"{command.Kind} is not a migration command.");
        }
    }

    private async Task<IMigratableDriver> DriverOfAsync(Guid machineId, CancellationToken cancellationToken)
    {
        foreach (var driver in drivers.All<IGuestDriver>())
        {
            var guests = await driver.ListAsync(cancellationToken).ConfigureAwait(false);
            if (guests.Any(g => g.Id == machineId))
            {
                return drivers.For<IMigratableDriver>(driver.Engine);
            }
        }

        throw new GuestNotFoundException(machineId);
    }
}
