using System.CommandLine;
using System.Text.Json;
using Ringmaster.Contracts;

namespace Ringmaster.Cli;

/// <summary><c>ringmaster operations watch [ID]</c>: operation progress as it happens, from the event stream.</summary>
internal static class OperationsCommands
{
    public static Command Build(CliEnvironment env, GlobalOptions globals)
    {
        var id = new Argument<Guid?>("id") { Description = "Follow only this operation, until it ends.", Arity = ArgumentArity.ZeroOrOne };
        var machine = new Option<string?>("--machine", "-m") { Description = "Only this machine's operations (name or id)." };
        var watch = new Command("watch", "Print operations' progress as it happens (one operation: until it ends).") { id, machine };
        CommandContext.SetAction(watch, env, globals, async (context, cancellationToken) =>
        {
            // Progress lines go to stdout here: watching is what was asked for. --json prints one operation per line.
            var progress = context.Json ? TextWriter.Null : context.Out;
            var waiter = new OperationWaiter(context.Client, progress);
            if (context.Get(id) is { } only)
            {
                var operation = await context.Client.GetAsync($"api/v1/operations/{only}", cancellationToken).ConfigureAwait(false);
                var machineFilter = operation.As<OperationView>().MachineId is { } m ? "&machine=" + m : "";
                var last = operation;
                if (!OperationWaiter.IsEnded(operation))
                {
                    await foreach (var changed in waiter.FollowAsync("api/v1/events?types=operation" + machineFilter, only, cancellationToken).ConfigureAwait(false))
                    {
                        Emit(context, waiter, changed);
                        last = changed;
                        if (OperationWaiter.IsEnded(changed))
                        {
                            break;
                        }
                    }
                }
                else
                {
                    Emit(context, waiter, operation);
                }

                return last.As<OperationView>().State == OperationStatus.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
            }

            var filter = "";
            if (context.Get(machine) is { Length: > 0 } name)
            {
                var found = await MachinesCommands.GetMachineAsync(context, name, cancellationToken).ConfigureAwait(false);
                filter = "&machine=" + found.As<MachineView>().Id;
            }

            await foreach (var changed in waiter.FollowAsync("api/v1/events?types=operation" + filter, null, cancellationToken).ConfigureAwait(false))
            {
                Emit(context, waiter, changed);
            }

            return ExitCodes.Ok;
        });

        var operations = new Command("operations", "Long actions and their progress.") { watch };
        operations.Aliases.Add("ops");
        return operations;
    }

    private static void Emit(CommandContext context, OperationWaiter waiter, JsonElement operation)
    {
        if (context.Json)
        {
            context.Out.WriteLine(JsonSerializer.Serialize(operation));
        }
        else
        {
            waiter.Show(operation);
        }
    }
}
