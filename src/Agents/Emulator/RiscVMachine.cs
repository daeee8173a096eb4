using System.Diagnostics;
using Ringmaster.Emulator.Boot;
using Ringmaster.Emulator.Cpu;
using Ringmaster.Emulator.Devices;

namespace Ringmaster.Emulator;

/// <summary>
/// A RISC-V RV64GC board like QEMU's virt machine: harts, RAM, boot ROM, CLINT, PLIC, 16550A UART,
/// virtio-mmio devices and syscon, booted through OpenSBI (fw_dynamic) into Linux. Runs in bounded
/// slices on a thread its owner controls; every member except the console/stop helpers must be
/// called from that thread.
/// </summary>
public sealed partial class RiscVMachine : IMachineClock
{
    /// <summary>Instructions per hart before the machine polls devices and switches harts.</summary>
    private const int BatchSize = 4096;

    /// <summary>Deterministic clock: instructions per 10 MHz tick (a nominal 100 MIPS).</summary>
    private const ulong InstructionsPerTick = 10;

    private const int MaxConsoleBuffer = 1 << 20;

    private readonly Bus _bus;
    private readonly Hart[] _harts;
    private readonly Clint _clint;
    private readonly Plic _plic;
    private readonly Uart16550 _uart;
    private readonly List<VirtioMmio> _virtio = [];
    private readonly Queue<byte> _consoleOut = new();
    private readonly object _consoleLock = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly BootImage _boot;

    // Clock state.
    private ulong _mtimeBase;
    private long _anchorTimestamp;
    private ulong _anchorInstructions;
    private bool _clockRunning;

    private long _instructions;
    private long _busyTicks;
    private long _idleTicks;
    private long _mipsSampleTicks;
    private long _mipsSampleInstructions;
    private double _mips;
    private uint _powerRequest;
    private volatile bool _stopRequested;

    public RiscVMachine(MachineConfig config)
        : this(config, loadImages: true)
    {
    }

    private RiscVMachine(MachineConfig config, bool loadImages, BootImage? boot = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        if (config.MemoryMiB < 16 || config.MemoryMiB > 2047)
            throw new MachineConfigurationException($"MemoryMiB must be between 16 and 2047 (got {config.MemoryMiB}).");
        if (config.Harts < 1 || config.Harts > 8)
            throw new MachineConfigurationException($"Harts must be between 1 and 8 (got {config.Harts}).");

        _boot = boot ?? (loadImages ? BootImage.Prepare(config) : BootImage.Empty(config));
        _bus = new Bus((ulong)config.MemoryMiB << 20);
        _harts = new Hart[config.Harts];
        for (var i = 0; i < _harts.Length; i++)
            _harts[i] = new Hart(i, _bus, this);

        _clint = new Clint(config.Harts, () => Mtime, SetMtime);
        _plic = new Plic(config.Harts);
        _uart = new Uart16550(ConsoleTransmit, level => _plic.SetLevel(MemoryMap.UartIrq, level));
        _bus.Map(MemoryMap.ClintBase, MemoryMap.ClintSize, _clint);
        _bus.Map(MemoryMap.PlicBase, MemoryMap.PlicSize, _plic);
        _bus.Map(MemoryMap.UartBase, MemoryMap.UartSize, _uart);
        _bus.Map(MemoryMap.SysconBase, MemoryMap.SysconSize, new Syscon(v => _powerRequest = v));
        CreateVirtioDevices(config);
        foreach (var v in _virtio)
            _bus.Map(MemoryMap.VirtioBase + (ulong)v.Slot * MemoryMap.VirtioStride, MemoryMap.VirtioStride, v);
        for (var slot = _virtio.Count; slot < MemoryMap.VirtioSlots; slot++)
            _bus.Map(MemoryMap.VirtioBase + (ulong)slot * MemoryMap.VirtioStride, MemoryMap.VirtioStride, new EmptyVirtioSlot());

        LoadImages();
    }

    /// <summary>A machine running a raw program from the start of RAM in M mode (tests and tools).</summary>
    internal static RiscVMachine ForProgram(byte[] code, ulong tohost, MachineConfig? config = null) =>
        new(config ?? new MachineConfig { MemoryMiB = 16, EntropyDevice = false }, loadImages: false, BootImage.FromProgram(code, tohost));

    public MachineConfig Config { get; }

    public MachineStatus Status { get; private set; } = MachineStatus.Running;

    /// <summary>Why the machine stopped (power-off, reboot, fault), or null while it runs.</summary>
    public string? StopReason { get; private set; }

    /// <summary>Bare-metal mode: the program's exit code once it wrote <c>tohost</c>.</summary>
    public int? ExitCode { get; private set; }

    /// <summary>Instructions executed by all harts since creation or reset.</summary>
    public long InstructionCount => Interlocked.Read(ref _instructions);

    /// <summary>Millions of instructions per second of busy (non-idle) time, over the last second or so.</summary>
    public double Mips => Volatile.Read(ref _mips);

    /// <summary>Wall time spent asleep because every hart waited for an interrupt.</summary>
    public TimeSpan IdleTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _idleTicks));

    /// <summary>Wall time spent executing instructions.</summary>
    public TimeSpan BusyTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _busyTicks));

    public int HartCount => _harts.Length;

    /// <summary>One line per hart: pc, privilege, wait state (diagnostics).</summary>
    public string DescribeHarts() => string.Join(Environment.NewLine, _harts.Select(h =>
        $"hart {h.HartId}: pc=0x{h.Pc:x} priv={"USHM"[h.Priv]} waiting={h.Waiting} mip=0x{h.Mip:x} mie=0x{h._mie:x} mstatus=0x{h._mstatus:x} ra=0x{h.X[1]:x} plic-pending=0x{_plic.Read(0x1000, 4):x} mtime={Mtime} mtimecmp={_clint.Mtimecmp[h.HartId]} traps=[{string.Join(",", h.TrapCounts.Select((c, i) => (c, i)).Where(t => t.c > 0).Select(t => $"{(t.i >= 32 ? "irq" + (t.i - 32) : "exc" + t.i)}:{t.c}"))}]"));

    internal Hart GetHart(int i) => _harts[i];

    internal Bus Bus => _bus;

    internal ulong[] Mtimecmp => _clint.Mtimecmp;

    /// <summary>Physical address of the device tree blob handed to the firmware.</summary>
    public ulong DeviceTreeAddress => _boot.DtbAddress;

    // ---------------------------------------------------------------- clock

    /// <summary>mtime, in 10 MHz ticks.</summary>
    public ulong Mtime
    {
        get
        {
            if (Config.DeterministicClock)
                return _mtimeBase + ((ulong)_instructions - _anchorInstructions) / InstructionsPerTick;
            if (!_clockRunning)
                return _mtimeBase;
            var elapsed = Stopwatch.GetTimestamp() - _anchorTimestamp;
            var f = Stopwatch.Frequency;
            return _mtimeBase + (ulong)(elapsed / f * (long)MemoryMap.TimebaseHz + elapsed % f * (long)MemoryMap.TimebaseHz / f);
        }
    }

    private void SetMtime(ulong value)
    {
        _mtimeBase = value;
        _anchorTimestamp = Stopwatch.GetTimestamp();
        _anchorInstructions = (ulong)_instructions;
    }

    private void StartClock()
    {
        _anchorTimestamp = Stopwatch.GetTimestamp();
        _anchorInstructions = (ulong)_instructions;
        _clockRunning = true;
    }

    private void StopClock()
    {
        _mtimeBase = Mtime;
        _anchorInstructions = (ulong)_instructions;
        _clockRunning = false;
    }

    // ---------------------------------------------------------------- console

    /// <summary>Bytes typed on the serial console (any thread).</summary>
    public void WriteConsoleInput(ReadOnlySpan<byte> data)
    {
        _uart.Enqueue(data);
        _virtioConsole?.Enqueue(data);
        Wake();
    }

    private void Wake()
    {
        try
        {
            _wake.Set();
        }
        catch (ObjectDisposedException)
        {
            // Input or a stop request after Dispose: nothing is waiting any more.
        }
    }

    /// <summary>Copies pending console output into <paramref name="buffer"/>; returns the byte count (any thread).</summary>
    public int ReadConsoleOutput(Span<byte> buffer)
    {
        lock (_consoleLock)
        {
            var n = Math.Min(buffer.Length, _consoleOut.Count);
            for (var i = 0; i < n; i++)
                buffer[i] = _consoleOut.Dequeue();
            return n;
        }
    }

    /// <summary>Console output bytes waiting to be read.</summary>
    public int ConsoleOutputAvailable
    {
        get
        {
            lock (_consoleLock)
                return _consoleOut.Count;
        }
    }

    private void ConsoleTransmit(byte b)
    {
        lock (_consoleLock)
        {
            if (_consoleOut.Count >= MaxConsoleBuffer)
                _consoleOut.Dequeue();
            _consoleOut.Enqueue(b);
        }
    }

    /// <summary>Makes a running or idle-waiting slice return soon (any thread).</summary>
    public void RequestStop()
    {
        _stopRequested = true;
        Wake();
    }

    // ---------------------------------------------------------------- running

    /// <summary>
    /// Runs up to <paramref name="instructionBudget"/> instructions (fewer when every hart goes idle,
    /// the guest powers off, or <see cref="RequestStop"/> is called). Never throws for guest
    /// behaviour: emulator failures end in <see cref="MachineStatus.Faulted"/>.
    /// </summary>
    public MachineStatus RunSlice(long instructionBudget)
    {
        if (Status is MachineStatus.PoweredOff or MachineStatus.Faulted or MachineStatus.Rebooting)
            return Status;
        Status = MachineStatus.Running;
        _stopRequested = false;
        var start = Stopwatch.GetTimestamp();
        long idle = 0;
        StartClock();
        try
        {
            long done = 0;
            var multi = _harts.Length > 1;
            while (done < instructionBudget && _powerRequest == 0 && !_stopRequested)
            {
                PollDevices();
                var ran = false;
                foreach (var h in _harts)
                {
                    if (h.Waiting && !h.WakeupPending)
                        continue;
                    var n = h.Run(Math.Min(BatchSize, instructionBudget - done));
                    ran = true;
                    done += n;
                    _instructions += n;
                    if (_bus.DeviceTouched)
                    {
                        _bus.DeviceTouched = false;
                        PollDevices();
                    }
                }

                if (multi)
                {
                    foreach (var h in _harts)
                        h.Reservation = ulong.MaxValue;
                }

                if (_tohost != 0 && CheckToHost())
                    break;

                if (!ran)
                {
                    var waited = IdleWait();
                    idle += waited;
                    if (waited != 0 || Status == MachineStatus.Idle)
                        break;
                }
            }
        }
        catch (Exception ex)
        {
            Status = MachineStatus.Faulted;
            StopReason = $"emulator failure at pc 0x{_harts[0].Pc:x}: {ex.GetType().Name}: {ex.Message}";
        }
        finally
        {
            StopClock();
            var total = Stopwatch.GetTimestamp() - start;
            Interlocked.Add(ref _busyTicks, total - idle);
            Interlocked.Add(ref _idleTicks, idle);
            UpdateMips();
        }

        if (_powerRequest != 0 && Status != MachineStatus.Faulted)
        {
            var v = _powerRequest & 0xffff;
            if (v == MemoryMap.SysconReboot)
            {
                Status = MachineStatus.Rebooting;
                StopReason = "the guest asked for a reboot";
            }
            else
            {
                Status = MachineStatus.PoweredOff;
                StopReason = ExitCode is not null ? StopReason : v == 0x3333 ? $"the guest powered off with failure code {_powerRequest >> 16}" : "the guest powered off";
            }
        }

        return Status;
    }

    private void UpdateMips()
    {
        var now = Interlocked.Read(ref _busyTicks);
        var dt = now - _mipsSampleTicks;
        if (dt < Stopwatch.Frequency / 2 && _mips != 0)
            return;
        if (dt <= 0)
            return;
        var di = _instructions - _mipsSampleInstructions;
        if (di < 0)
        {
            // The counter went back (a reset, or a state loaded): measure from here on.
            RestartMipsSample();
            return;
        }

        Volatile.Write(ref _mips, di / (dt / (double)Stopwatch.Frequency) / 1e6);
        _mipsSampleTicks = now;
        _mipsSampleInstructions = _instructions;
    }

    /// <summary>
    /// Starts the MIPS measurement again from the instruction count and busy time as they are now:
    /// after the count was set (a reset, a snapshot loaded) the instructions before it were not run here.
    /// </summary>
    private void RestartMipsSample()
    {
        _mipsSampleTicks = Interlocked.Read(ref _busyTicks);
        _mipsSampleInstructions = _instructions;
        Volatile.Write(ref _mips, 0);
    }

    /// <summary>All harts wait: sleep (or, with the deterministic clock, jump) to the next timer event.</summary>
    private long IdleWait()
    {
        ulong next = ulong.MaxValue;
        foreach (var t in _clint.Mtimecmp)
            next = Math.Min(next, t);
        var now = Mtime;
        if (Config.DeterministicClock)
        {
            if (next != ulong.MaxValue && next > now)
            {
                _mtimeBase += next - now;
                return 0;
            }

            if (next == ulong.MaxValue && !_uart.HasInput)
                Status = MachineStatus.Idle;
            return 0;
        }

        if (next <= now || _uart.HasInput)
            return 0;
        var ms = next == ulong.MaxValue ? 50 : (int)Math.Clamp((next - now) / 10_000, 0, 50);
        var t0 = Stopwatch.GetTimestamp();
        if (ms > 0)
            _wake.WaitOne(ms);
        else
            Thread.Yield();
        Status = MachineStatus.Idle;
        return Math.Max(1, Stopwatch.GetTimestamp() - t0);
    }

    private void PollDevices()
    {
        _uart.Poll();
        foreach (var v in _virtio)
            v.Poll();
        var now = Mtime;
        for (var i = 0; i < _harts.Length; i++)
        {
            ulong hw = 0;
            if (_clint.Msip[i]) hw |= 1UL << Cause.Msi;
            if (now >= _clint.Mtimecmp[i]) hw |= 1UL << Cause.Mti;
            if (_plic.ContextPending(2 * i)) hw |= 1UL << Cause.Mei;
            if (_plic.ContextPending(2 * i + 1)) hw |= 1UL << Cause.Sei;
            _harts[i].MipHw = hw;
        }
    }

    /// <summary>Restarts the machine from its reset vector with the images loaded again (after a reboot, or any time).</summary>
    /// <exception cref="MachineConfigurationException">The machine was loaded from a snapshot whose configuration names no readable images.</exception>
    public void Reset()
    {
        if (_boot.IsEmpty)
            throw new MachineConfigurationException("This machine was loaded from a snapshot without readable kernel/firmware files; it cannot boot again.");
        Array.Clear(_bus.Ram);
        _powerRequest = 0;
        Status = MachineStatus.Running;
        StopReason = null;
        ExitCode = null;
        _mtimeBase = 0;
        _instructions = 0;
        _anchorInstructions = 0;
        RestartMipsSample();
        Array.Fill(_clint.Mtimecmp, ulong.MaxValue);
        Array.Clear(_clint.Msip);
        _plic.Reset();
        _uart.Reset();
        foreach (var v in _virtio)
            v.ResetDevice();
        LoadImages();
    }

    private void LoadImages()
    {
        _boot.WriteInto(_bus);
        _tohost = _boot.ToHost;
        _bus.WatchPage = _tohost != 0 ? _tohost & ~0xfffUL : ulong.MaxValue;
        foreach (var h in _harts)
            h.Reset(_boot.EntryPoint);
        if (_boot.BareMetal)
        {
            // Bare-metal programs start in M mode with a0 = hart id, FS enabled.
            foreach (var h in _harts)
                h.X[10] = (ulong)h.HartId;
        }
    }

    // ---------------------------------------------------------------- dirty pages

    /// <summary>Starts a new dirty-page epoch: pages written after this call are reported by <see cref="GetDirtyPages"/>.</summary>
    public void MarkDirtyPages()
    {
        _bus.ClearDirty();
        foreach (var h in _harts)
            h.FlushStoreTlb();
    }

    /// <summary>Guest-physical addresses of the 4 KiB pages written since the last <see cref="MarkDirtyPages"/>.</summary>
    public IReadOnlyList<ulong> GetDirtyPages() => _bus.DirtyPages();

    /// <summary>Copies one 4 KiB guest page (for migration).</summary>
    public void ReadPage(ulong address, Span<byte> destination) => _bus.DmaRead(address, destination[..(int)Bus.PageSize]);

    // ---------------------------------------------------------------- bare metal (HTIF)

    private ulong _tohost;

    private unsafe bool CheckToHost()
    {
        var v = _bus.DmaRead64(_tohost);
        if (v == 0)
            return false;
        ExitCode = v == 1 ? 0 : (int)(v >> 1);
        _powerRequest = MemoryMap.SysconPowerOff;
        StopReason = ExitCode == 0 ? "the program passed (tohost = 1)" : $"the program failed with code {ExitCode}";
        return true;
    }
}
