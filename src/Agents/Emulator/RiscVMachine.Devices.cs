using Ringmaster.Emulator.Devices;

namespace Ringmaster.Emulator;

/// <summary>Which virtio devices sit in which slot.</summary>
public sealed partial class RiscVMachine : IDisposable
{
    private VirtioConsole? _virtioConsole;
    private DiskBackend? _disk;

    /// <summary>Slot order: block (when a disk is set), network, entropy, console.</summary>
    private void CreateVirtioDevices(MachineConfig config)
    {
        var slot = 0;
        if (config.DiskPath is not null)
        {
            _disk = DiskBackend.Open(config);
            _virtio.Add(new VirtioBlock(slot++, _bus, _plic, _disk));
        }

        if (config.Network is not null)
        {
            _virtio.Add(new VirtioNet(slot++, _bus, _plic, config.Network));
            config.Network.Attach(Wake);
        }
        if (config.EntropyDevice)
            _virtio.Add(new VirtioRng(slot++, _bus, _plic, config.DeterministicClock));
        if (config.VirtioConsole)
        {
            _virtioConsole = new VirtioConsole(slot++, _bus, _plic, ConsoleTransmit);
            _virtio.Add(_virtioConsole);
        }
    }

    /// <summary>Closes the disk files.</summary>
    public void Dispose()
    {
        _disk?.Flush();
        _disk?.Dispose();
        _wake.Dispose();
    }
}
