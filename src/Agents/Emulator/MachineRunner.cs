namespace Ringmaster.Emulator;

/// <summary>
/// Owns the thread that runs a <see cref="RiscVMachine"/> in slices. Raises console output chunks
/// and status changes (on its thread); sleeps while the guest idles in WFI until the next timer
/// deadline or console input. A guest reboot resets the machine and keeps running.
/// </summary>
public sealed class MachineRunner : IDisposable
{
    private readonly object _gate = new();
    private readonly ManualResetEventSlim _resume = new(true);
    private readonly ManualResetEventSlim _parked = new(false);
    private readonly long _sliceBudget;
    private Thread? _thread;
    private volatile bool _pauseRequested;
    private volatile bool _stopRequested;
    private MachineStatus _status = MachineStatus.Paused;

    public MachineRunner(RiscVMachine machine, long sliceBudget = 4_000_000)
    {
        Machine = machine;
        _sliceBudget = sliceBudget;
    }

    public RiscVMachine Machine { get; }

    /// <summary>Console output from the guest, in the order produced.</summary>
    public event Action<ReadOnlyMemory<byte>>? ConsoleOutput;

    /// <summary>Running, Idle, Paused, PoweredOff, Rebooting or Faulted.</summary>
    public event Action<MachineStatus>? StatusChanged;

    public MachineStatus Status => _status;

    public bool IsAlive => _thread is { IsAlive: true };

    /// <summary>Starts the run thread.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_thread is not null)
                throw new InvalidOperationException("The runner was already started.");
            _thread = new Thread(Loop) { IsBackground = true, Name = "riscv machine" };
            _thread.Start();
        }
    }

    /// <summary>Pauses between slices and waits until the thread is parked.</summary>
    public void Pause()
    {
        _pauseRequested = true;
        _resume.Reset();
        Machine.RequestStop();
        if (IsAlive)
            _parked.Wait(TimeSpan.FromSeconds(10));
    }

    public void Resume()
    {
        _pauseRequested = false;
        _parked.Reset();
        _resume.Set();
    }

    /// <summary>Resets the machine (paused around the reset) and continues in the state it was in.</summary>
    public void Reset()
    {
        var wasPaused = _pauseRequested;
        Pause();
        Machine.Reset();
        if (!wasPaused)
            Resume();
    }

    /// <summary>Stops the thread for good.</summary>
    public void Stop()
    {
        _stopRequested = true;
        _resume.Set();
        Machine.RequestStop();
        if (_thread is not null && Thread.CurrentThread != _thread)
            _thread.Join(TimeSpan.FromSeconds(10));
    }

    private void SetStatus(MachineStatus s)
    {
        if (s == _status)
            return;
        _status = s;
        StatusChanged?.Invoke(s);
    }

    private void DrainOutput(byte[] buf)
    {
        int n;
        while ((n = Machine.ReadConsoleOutput(buf)) > 0)
            ConsoleOutput?.Invoke(buf.AsMemory(0, n).ToArray());
    }

    private void Loop()
    {
        var buf = new byte[16384];
        while (!_stopRequested)
        {
            if (_pauseRequested)
            {
                DrainOutput(buf);
                SetStatus(MachineStatus.Paused);
                _parked.Set();
                _resume.Wait();
                continue;
            }

            var s = Machine.RunSlice(_sliceBudget);
            DrainOutput(buf);
            SetStatus(s);
            if (s == MachineStatus.Rebooting)
            {
                Machine.Reset();
                SetStatus(MachineStatus.Running);
            }
            else if (s is MachineStatus.PoweredOff or MachineStatus.Faulted)
            {
                break;
            }
        }

        _parked.Set();
    }

    public void Dispose()
    {
        Stop();
        _resume.Dispose();
        _parked.Dispose();
    }
}
