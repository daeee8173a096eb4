using System.Net.Sockets;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>The graphical console of a QEMU VM: QEMU's VNC server on the Unix socket in the VM's folder.</summary>
public sealed class QemuDisplay(QemuGuests guests) : IGuestDisplay
{
    public async Task<Stream> ConnectDisplayAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (!await guests.RefreshAsync(vm).ConfigureAwait(false))
        {
            throw new GuestException($"{vm.Definition.Name} is not running: its display is off.");
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(vm.Folder.VncSocket), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new GuestException($"The display of {vm.Definition.Name} does not answer: {ex.Message}", ex);
        }
    }
}
