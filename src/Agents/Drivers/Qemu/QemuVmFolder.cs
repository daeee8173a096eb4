using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>
/// The folder of one QEMU VM: every file it needs at run time lives here (its definition, the QMP,
/// serial console, VNC and guest-agent sockets, the pidfile, QEMU's log and the console log), so an
/// agent that restarts finds the VM's QEMU and reattaches to it from the folder alone.
/// </summary>
public sealed class QemuVmFolder
{
    /// <summary>The longest path a Unix socket can have (<c>sun_path</c> holds 108 bytes with the terminating NUL).</summary>
    public const int MaxSocketPathBytes = 107;

    public QemuVmFolder(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The folder, an absolute path (QEMU runs from / once it has daemonized).</summary>
    public string Path { get; }

    /// <summary>The VM's definition (<see cref="QemuMachine"/> as JSON).</summary>
    public string MachineFile => In("machine.json");

    /// <summary>QMP, QEMU's control socket.</summary>
    public string QmpSocket => In("qmp.sock");

    /// <summary>The serial console (ttyS0): raw bytes both ways.</summary>
    public string SerialSocket => In("serial.sock");

    /// <summary>VNC (RFB) on a Unix socket, the graphical console.</summary>
    public string VncSocket => In("vnc.sock");

    /// <summary>qemu-guest-agent's virtio-serial port.</summary>
    public string GuestAgentSocket => In("qga.sock");

    /// <summary>QEMU's process id, written by QEMU itself.</summary>
    public string PidFile => In("qemu.pid");

    /// <summary>What QEMU printed while starting (and every start's command line).</summary>
    public string LogFile => In("qemu.log");

    /// <summary>Everything the serial console printed, also while nobody was connected.</summary>
    public string ConsoleLog => In("console.log");

    /// <summary>What the firmware printed this boot (SeaBIOS' debug port), when the machine keeps it.</summary>
    public string FirmwareLog => In("firmware.log");

    private string In(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Throws when a socket path of this folder is too long for a Unix socket, naming the limit.</summary>
    public void EnsureSocketPathsFit()
    {
        foreach (var socket in new[] { QmpSocket, SerialSocket, VncSocket, GuestAgentSocket })
        {
            var length = Encoding.UTF8.GetByteCount(socket);
            if (length > MaxSocketPathBytes)
            {
                throw new ArgumentException(
                    $"The VM folder {Path} is too deep: the socket {socket} would be {length} bytes long, and a Unix socket path has at most {MaxSocketPathBytes}. Use a shorter data folder.");
            }
        }
    }

    /// <summary>Writes the VM's definition to <see cref="MachineFile"/> (whole, through a temporary file).</summary>
    public async Task SaveAsync(QemuMachine machine, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Path);
        var temporary = MachineFile + ".new";
        await using (var stream = File.Create(temporary))
        {
            await JsonSerializer.SerializeAsync(stream, machine, QemuJsonContext.Default.QemuMachine, cancellationToken).ConfigureAwait(false);
        }

        File.Move(temporary, MachineFile, overwrite: true);
    }

    /// <summary>Reads the VM's definition from <see cref="MachineFile"/>.</summary>
    public async Task<QemuMachine> LoadAsync(CancellationToken cancellationToken = default)
    {
        await using var stream = File.OpenRead(MachineFile);
        return await JsonSerializer.DeserializeAsync(stream, QemuJsonContext.Default.QemuMachine, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException($"{MachineFile} holds no VM definition.");
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(QemuMachine))]
internal sealed partial class QemuJsonContext : JsonSerializerContext;
