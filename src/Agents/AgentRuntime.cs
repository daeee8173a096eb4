using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers;
using Ringmaster.Contracts;
using Ringmaster.Shared;

namespace Ringmaster.Agents;

/// <summary>What the agent sends to its server; the connection worker implements it.</summary>
public interface IAgentUplink
{
    /// <summary>
    /// Sends now if connected, otherwise when the connection is back (commands' outcomes must not be
    /// lost); <paramref name="delivered"/> runs once the server has taken it.
    /// </summary>
    void Enqueue(string method, object argument, Action? delivered = null);

    /// <summary>Sends now if connected; dropped otherwise (console output, metrics).</summary>
    Task SendIfConnectedAsync(string method, object argument);
}

/// <summary>
/// Carries out the server's commands through the drivers: acknowledges at once, runs the work in
/// the background (one command at a time per guest) and reports the outcome.
/// </summary>
public sealed partial class AgentRuntime(GuestDrivers drivers, ConsoleSessions consoles, BackupStore backups, Migration.AgentMigrations migrations, Transfers.BackupArchives archives, ILogger<AgentRuntime> logger, ImageFetcher? images = null)
{
    private readonly KeyedGates<Guid> _guestLocks = new();
    private readonly ConcurrentDictionary<Guid, GuestEngineKey> _kinds = new();
    private readonly ConcurrentDictionary<Guid, Task> _work = new();
    private readonly ConcurrentDictionary<Guid, CommandUnderWay> _underWay = new();
    private readonly ConcurrentDictionary<GuestEngineKey, string> _listFailures = new();
    private IAgentUplink? _uplink;

    public void Attach(IAgentUplink uplink) => _uplink = uplink;

    /// <summary>Raised when a driver starts or stops being able to list its guests (a container engine appeared or went away).</summary>
    public event Action? DriversChanged;

    /// <summary>Every guest of every driver, for registration and reconciliation.</summary>
    public async Task<IReadOnlyList<GuestInfo>> ListAsync(CancellationToken cancellationToken) =>
        (await ListAllAsync(cancellationToken).ConfigureAwait(false)).Guests;

    /// <summary>Every guest of every driver that could list them, and the kinds whose drivers could not.</summary>
    public async Task<GuestListing> ListAllAsync(CancellationToken cancellationToken)
    {
        var all = new List<GuestInfo>();
        var unlisted = new List<MachineKind>();
        var changed = false;
        foreach (var driver in drivers.All<IGuestDriver>())
        {
            try
            {
                var guests = await driver.ListAsync(cancellationToken).ConfigureAwait(false);
                foreach (var guest in guests)
                {
                    _kinds[guest.Id] = GuestEngineKey.Of(guest);
                }

                all.AddRange(guests);
                if (_listFailures.TryRemove(driver.Engine, out _))
                {
                    changed = true;
                    logger.LogInformation("The {Engine} driver lists its guests again", driver.Engine);
                }
            }
            catch (GuestException ex)
            {
                unlisted.Add(driver.Kind);
                // Said once, and again only when the reason changes (a missing engine is not news every few seconds).
                if (_listFailures.TryGetValue(driver.Engine, out var before) && before == ex.Message)
                {
                    continue;
                }

                _listFailures[driver.Engine] = ex.Message;
                changed = true;
                logger.LogWarning("The {Engine} driver cannot list its guests: {Reason}", driver.Engine, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                unlisted.Add(driver.Kind);
                logger.LogWarning(ex, "The {Engine} driver could not list its guests", driver.Engine);
            }
        }

        if (changed)
        {
            DriversChanged?.Invoke();
        }

        return new GuestListing(all, unlisted);
    }

    public CommandAck Accept(AgentCommand command)
    {
        var kind = command.Kind is AgentCommandKind.Create or AgentCommandKind.MigrateIn
            ? command.Definition is { } defined ? GuestEngineKey.Of(defined) : null
            : _kinds.TryGetValue(command.MachineId, out var k) ? k : KindOf(command);
        if (command.Kind == AgentCommandKind.Create && command.Definition is null)
        {
            return new CommandAck(false, "A create command needs a definition.");
        }

        if (command.Kind == AgentCommandKind.UpdateSpec && command.Definition is null)
        {
            return new CommandAck(false, "A spec update needs the new definition.");
        }

        if (command.Kind == AgentCommandKind.Act && command.Action is null)
        {
            return new CommandAck(false, "An action command needs an action.");
        }

        if (kind is { } known && drivers.Find<IGuestDriver>(known) is null)
        {
            return new CommandAck(false, $"This host has no driver for {known.Guests}.");
        }

        _underWay[command.CommandId] = new CommandUnderWay(command.CommandId, command.OperationId, command.Kind, command.MachineId);
        var task = Task.Run(() => RunAsync(command, kind));
        _work[command.CommandId] = task;
        _ = task.ContinueWith(_ => _work.TryRemove(command.CommandId, out var _), TaskScheduler.Default);
        return new CommandAck(true);
    }

    /// <summary>Waits for commands under way (at shutdown, and in tests).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_work.Values);

    /// <summary>
    /// The commands under way now: running, or finished with their outcome not yet delivered. A
    /// command leaves this list only once the server has its outcome, so a registration that lists
    /// the guests after this list either names a command (its outcome follows) or sees what it did.
    /// </summary>
    public IReadOnlyList<CommandUnderWay> UnderWay() => [.. _underWay.Values];

    private async Task RunAsync(AgentCommand command, GuestEngineKey? kind)
    {
        var held = await _guestLocks.EnterAsync(command.MachineId).ConfigureAwait(false);
        CommandResult result;
        try
        {
            result = await ExecuteAsync(command, kind).ConfigureAwait(false);
        }
        catch (GuestNotFoundException ex)
        {
            result = new CommandResult(command.CommandId, false, null, ex.Message, NotFound: true);
        }
        catch (GuestException ex)
        {
            logger.LogWarning("Command {Kind} on {Machine} failed: {Message}", command.Kind, command.MachineId, ex.Message);
            result = new CommandResult(command.CommandId, false, null, ex.Message);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Command {Kind} on {Machine} failed", command.Kind, command.MachineId);
            result = new CommandResult(command.CommandId, false, null, $"The agent failed: {ex.Message}");
        }
        finally
        {
            held.Dispose();
        }

        // Under way until the server has the outcome: a registration in between names the command, so
        // the server (one that restarted meanwhile) waits for the outcome rather than guessing.
        if (_uplink is { } uplink)
        {
            uplink.Enqueue(nameof(IAgentHub.CommandCompleted), result with { OperationId = command.OperationId }, () => _underWay.TryRemove(command.CommandId, out _));
        }
        else
        {
            _underWay.TryRemove(command.CommandId, out _);
        }
    }

    private async Task<CommandResult> ExecuteAsync(AgentCommand command, GuestEngineKey? kind)
    {
        using var timeout = new CancellationTokenSource(command.TimeLimit());
        var ct = timeout.Token;
        var progress = new OperationProgress(_uplink, command.OperationId);
        switch (command.Kind)
        {
            case AgentCommandKind.SendBackups or AgentCommandKind.ReceiveBackups:
            {
                var order = command.Archives ?? throw new GuestException("A backup transfer command needs its order.");
                if (command.Kind == AgentCommandKind.SendBackups)
                {
                    await archives.SendAsync(order, progress, ct).ConfigureAwait(false);
                }
                else
                {
                    await archives.ReceiveAsync(order, ct).ConfigureAwait(false);
                }

                return new CommandResult(command.CommandId, true, null, null);
            }

            case AgentCommandKind.MigrateOut or AgentCommandKind.MigrateIn or AgentCommandKind.MigrateAbort:
            {
                var result = await migrations.ExecuteAsync(command, progress, ct).ConfigureAwait(false);
                if (result.Guest is { } moved)
                {
                    _kinds[moved.Id] = GuestEngineKey.Of(moved);
                }

                return result;
            }

            case AgentCommandKind.Create:
            {
                var definition = command.Definition!;
                var creator = drivers.For<IGuestDriver>(GuestEngineKey.Of(definition));
                if (definition.ImageSource is not null)
                {
                    definition = await (images ?? throw new GuestException("This agent cannot fetch images from the server."))
                        .PrepareAsync(definition, drivers.For<IGuestImageImporter>(GuestEngineKey.Of(definition)), progress, ct).ConfigureAwait(false);
                }

                if (definition.Iso is { } iso)
                {
                    // the installer ISO goes to the engine's own store; the driver finds it there by name and checksum
                    await (images ?? throw new GuestException("This agent cannot fetch images from the server."))
                        .FetchAsync(iso, drivers.For<IGuestImageImporter>(GuestEngineKey.Of(definition)), progress, ct).ConfigureAwait(false);
                }

                var guest = await creator.CreateAsync(definition, progress, ct).ConfigureAwait(false);
                _kinds[guest.Id] = GuestEngineKey.Of(guest);
                return new CommandResult(command.CommandId, true, guest, null);
            }

            case AgentCommandKind.Delete:
            {
                await consoles.CloseAsync(command.MachineId).ConfigureAwait(false);
                foreach (var driver in kind is { } k ? [drivers.For<IGuestDriver>(k)] : drivers.All<IGuestDriver>())
                {
                    await driver.DeleteAsync(command.MachineId, ct).ConfigureAwait(false);
                }

                _kinds.TryRemove(command.MachineId, out _);
                return new CommandResult(command.CommandId, true, null, null);
            }

            case AgentCommandKind.UpdateSpec:
            {
                var updater = drivers.For<IGuestSpecUpdater>(kind ?? throw new GuestNotFoundException(command.MachineId));
                var guest = await updater.UpdateSpecAsync(command.MachineId, command.Definition!.Spec, ct).ConfigureAwait(false);
                return new CommandResult(command.CommandId, true, guest, null);
            }
            case AgentCommandKind.Snapshot or AgentCommandKind.RevertSnapshot or AgentCommandKind.DeleteSnapshot
                or AgentCommandKind.Clone or AgentCommandKind.Backup or AgentCommandKind.Restore or AgentCommandKind.VerifyBackup or AgentCommandKind.DeleteBackup:
                return await ExecuteSavedStateAsync(command, kind, progress, ct).ConfigureAwait(false);

            default:
            {
                var driver = drivers.For<IGuestDriver>(kind ?? throw new GuestNotFoundException(command.MachineId));
                var id = command.MachineId;
                var stopTimeout = command.StopTimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(Math.Clamp(seconds, 0, AgentCommand.MaxStopTimeoutSeconds)) : driver.DefaultStopTimeout;
                var guest = command.Action switch
                {
                    GuestAction.Start => await driver.StartAsync(id, ct).ConfigureAwait(false),
                    GuestAction.Stop => await driver.StopAsync(id, stopTimeout, false, ct).ConfigureAwait(false),
                    GuestAction.ForceStop => await driver.StopAsync(id, TimeSpan.Zero, true, ct).ConfigureAwait(false),
                    GuestAction.Pause => await driver.PauseAsync(id, ct).ConfigureAwait(false),
                    GuestAction.Resume => await driver.ResumeAsync(id, ct).ConfigureAwait(false),
                    GuestAction.Eject => await drivers.For<IGuestRemovableMedia>(driver.Engine).EjectAsync(id, ct).ConfigureAwait(false),
                    GuestAction.Restart => await RestartAsync(driver, id, stopTimeout, ct).ConfigureAwait(false),
                    _ => throw new GuestException($"Unknown action {command.Action}."),
                };
                if (guest.State == MachineState.Running)
                {
                    await consoles.OpenAsync(driver, id).ConfigureAwait(false);
                }

                return new CommandResult(command.CommandId, true, guest, null);
            }
        }
    }

    private async Task<GuestInfo> RestartAsync(IGuestDriver driver, Guid id, TimeSpan stopTimeout, CancellationToken ct)
    {
        await consoles.CloseAsync(id).ConfigureAwait(false);
        await driver.StopAsync(id, stopTimeout, false, ct).ConfigureAwait(false);
        return await driver.StartAsync(id, ct).ConfigureAwait(false);
    }

    /// <summary>The engine of a guest this agent runs; null for a guest it does not know.</summary>
    public GuestEngineKey? EngineOf(Guid machineId) => _kinds.TryGetValue(machineId, out var engine) ? engine : null;

    /// <summary>Opens the console of a guest so its output streams to the server.</summary>
    public async Task<CommandAck> OpenConsoleAsync(Guid machineId)
    {
        if (!_kinds.TryGetValue(machineId, out var kind) || drivers.Find<IGuestDriver>(kind) is not { } driver)
        {
            return new CommandAck(false, "No such guest on this host.");
        }

        try
        {
            await consoles.OpenAsync(driver, machineId).ConfigureAwait(false);
            return new CommandAck(true);
        }
        catch (GuestException ex)
        {
            return new CommandAck(false, ex.Message);
        }
    }
}

/// <summary>A command's progress, sent to the server in order as the operation's progress and message.</summary>
internal sealed class OperationProgress(IAgentUplink? uplink, Guid operationId) : IProgressWithNotes
{
    public void Report(int value) => Send(value, null);

    public void Report(int percent, string note) => Send(percent, note);

    private void Send(int percent, string? note) =>
        uplink?.Enqueue(nameof(IAgentHub.OperationProgress), new OperationProgressReport(operationId, percent, note));
}

/// <summary>The guests an agent's drivers listed, and the kinds whose drivers could not list theirs.</summary>
public sealed record GuestListing(IReadOnlyList<GuestInfo> Guests, IReadOnlyList<MachineKind> Unlisted);
