using System.Threading.Channels;
using Ringmaster.Contracts;
using Ringmaster.Emulator;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>One VM: its definition, folder, and (while it runs) its machine and runner thread.</summary>
internal sealed class EmulatorVm(GuestDefinition definition, string folder)
{
    private const int MaxHistoryBytes = 256 * 1024;
    private int _historyBytes;

    public GuestDefinition Definition { get; set; } = definition;
    public string Folder { get; } = folder;
    public string DiskPath => Path.Combine(Folder, EmulatorFiles.DiskFile);
    public Lock Gate { get; } = new();
    public RiscVMachine? Machine { get; set; }
    public MachineRunner? Runner { get; set; }
    private MachineState _state = MachineState.Stopped;

    public MachineState State
    {
        get => _state;
        set
        {
            if (!Runs(value))
            {
                StartedAt = null;
            }
            else if (!Runs(_state))
            {
                StartedAt = DateTimeOffset.UtcNow;
            }

            _state = value;
        }
    }

    /// <summary>When the VM last began running on this agent (a boot, a restore with memory, a move in); null while it does not run.</summary>
    public DateTimeOffset? StartedAt { get; private set; }

    /// <summary>A VM being migrated away still runs here until the move ends.</summary>
    private static bool Runs(MachineState state) => state is MachineState.Running or MachineState.Paused or MachineState.Migrating;
    public string? Detail { get; set; }
    public List<Channel<byte[]>> Consoles { get; } = [];

    /// <summary>What the console printed since this boot began (bounded), replayed to new attachments.</summary>
    public List<byte[]> History { get; } = [];

    public (TimeSpan Busy, long Stamp) LastSample { get; set; }

    public GuestInfo Info() =>
        new(Definition.Id, Definition.Name, MachineKind.Vm, State, Definition.Image, Definition.Spec, Definition.Labels, Detail,
            StartedAt: State is MachineState.Running or MachineState.Paused ? StartedAt : null);

    public void Broadcast(ReadOnlyMemory<byte> data)
    {
        var copy = data.ToArray();
        lock (Gate)
        {
            History.Add(copy);
            _historyBytes += copy.Length;
            while (_historyBytes > MaxHistoryBytes && History.Count > 1)
            {
                _historyBytes -= History[0].Length;
                History.RemoveAt(0);
            }

            foreach (var console in Consoles)
            {
                console.Writer.TryWrite(copy);
            }
        }
    }

    public void ClearHistory()
    {
        lock (Gate)
        {
            History.Clear();
            _historyBytes = 0;
        }
    }

    public void CompleteConsoles()
    {
        lock (Gate)
        {
            foreach (var console in Consoles)
            {
                console.Writer.TryComplete();
            }

            Consoles.Clear();
        }
    }
}
