using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Qemu.Qmp;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>The CD-ROM of a VM installed from an ISO: its medium is taken out once the install is done.</summary>
public sealed partial class QemuLifecycle
{
    /// <summary>
    /// Takes the ISO out of the VM's CD-ROM: through QMP (<c>eject</c>, forced: an installer's kernel
    /// locks the tray) while QEMU runs, and from <c>machine.json</c> and <c>guest.json</c> in its folder
    /// either way, so the next start (also by an agent that restarted meanwhile) boots from the disk.
    /// Safe to repeat: a VM whose ISO is already out is left as it is (the server refuses an eject of a
    /// machine it knows has no CD; this one may follow an eject whose end the server did not see).
    /// </summary>
    public async Task<GuestInfo> EjectAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        await vm.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var machine = await vm.Folder.LoadAsync(cancellationToken).ConfigureAwait(false);
            if (vm.Definition.Iso is null)
            {
                // Nothing in the drive (an eject that ran before, whose end the server may not have seen): nothing to do.
                // A seed CD (cloud-init) is no ISO of the user's and stays.
                logger.LogInformation("QEMU VM {Name} has no ISO in its CD-ROM; nothing to eject", vm.Definition.Name);
                return await InfoAsync(vm, cancellationToken).ConfigureAwait(false);
            }

            if (await guests.RefreshAsync(vm).ConfigureAwait(false) && vm.Qmp is { } qmp)
            {
                try
                {
                    await qmp.ExecuteAsync("eject", new { id = "cd0", force = true }, cancellationToken).ConfigureAwait(false);
                }
                catch (QmpException ex)
                {
                    throw new GuestException($"QEMU did not eject the CD of VM {vm.Definition.Name}: {ex.Message}", ex);
                }
            }

            if (machine.Cdrom is not null)
            {
                await vm.Folder.SaveAsync(machine with { Cdrom = null }, cancellationToken).ConfigureAwait(false);
            }

            vm.Definition = vm.Definition with { Iso = null };
            await QemuGuests.SaveDefinitionAsync(vm, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Ejected the ISO of QEMU VM {Name}; it boots from its disk from now on", vm.Definition.Name);
            return await InfoAsync(vm, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            vm.Gate.Release();
        }
    }
}
