using System.Collections.Concurrent;

namespace Ringmaster.Emulator.Devices;

/// <summary>
/// 16550A UART (register shift 0, byte access): transmit goes straight to the console output,
/// received bytes come from the console input queue through a 16-byte FIFO. Raises its line for
/// received data and for transmitter-empty, as QEMU's model does.
/// </summary>
internal sealed class Uart16550 : IMmioDevice, IStatefulDevice
{
    private const int FifoSize = 16;
    private readonly Action<byte> _transmit;
    private readonly Action<bool> _irq;
    private readonly ConcurrentQueue<byte> _input = new();
    private readonly Queue<byte> _rx = new();
    private byte _ier, _lcr, _mcr, _scr, _fcr, _dll = 12, _dlm;
    private bool _thrPending;

    public Uart16550(Action<byte> transmit, Action<bool> irq)
    {
        _transmit = transmit;
        _irq = irq;
    }

    /// <summary>Queues host input (any thread).</summary>
    public void Enqueue(ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
            _input.Enqueue(b);
    }

    public bool HasInput => !_input.IsEmpty || _rx.Count > 0;

    /// <summary>Moves queued input into the FIFO and updates the interrupt line (machine thread).</summary>
    public void Poll()
    {
        while (_rx.Count < FifoSize && _input.TryDequeue(out var b))
            _rx.Enqueue(b);
        UpdateIrq();
    }

    private byte Iir()
    {
        byte fifo = (byte)((_fcr & 1) != 0 ? 0xC0 : 0);
        if ((_ier & 1) != 0 && _rx.Count > 0)
            return (byte)(fifo | 0x04);
        if ((_ier & 2) != 0 && _thrPending)
            return (byte)(fifo | 0x02);
        return (byte)(fifo | 0x01);
    }

    private void UpdateIrq() => _irq((Iir() & 1) == 0);

    public ulong Read(ulong offset, int size)
    {
        var dlab = (_lcr & 0x80) != 0;
        ulong v;
        switch (offset)
        {
            case 0:
                if (dlab)
                {
                    v = _dll;
                    break;
                }

                v = _rx.Count > 0 ? _rx.Dequeue() : (byte)0;
                if (_rx.Count < FifoSize)
                    Poll();
                break;
            case 1: v = dlab ? _dlm : _ier; break;
            case 2:
            {
                var iir = Iir();
                if ((iir & 0x0f) == 0x02)
                    _thrPending = false;
                v = iir;
                break;
            }

            case 3: v = _lcr; break;
            case 4: v = _mcr; break;
            case 5: v = (ulong)(0x60 | (_rx.Count > 0 ? 1 : 0)); break;
            case 6: v = (_mcr & 0x10) != 0 ? (ulong)(((_mcr & 0x0c) << 4) | ((_mcr & 0x02) << 3) | ((_mcr & 0x01) << 5)) : 0xB0; break;
            case 7: v = _scr; break;
            default: v = 0; break;
        }

        UpdateIrq();
        return v;
    }

    public void Write(ulong offset, int size, ulong value)
    {
        var b = (byte)value;
        var dlab = (_lcr & 0x80) != 0;
        switch (offset)
        {
            case 0:
                if (dlab)
                {
                    _dll = b;
                    break;
                }

                if ((_mcr & 0x10) != 0)
                {
                    if (_rx.Count < FifoSize) _rx.Enqueue(b); // loopback
                }
                else
                {
                    _transmit(b);
                }

                _thrPending = true; // transmitted at once: holding register empty again
                break;
            case 1:
                if (dlab)
                {
                    _dlm = b;
                    break;
                }

                var old = _ier;
                _ier = (byte)(b & 0x0f);
                if ((_ier & 2) != 0 && (old & 2) == 0)
                    _thrPending = true;
                else if ((_ier & 2) == 0)
                    _thrPending = false;
                break;
            case 2:
                _fcr = (byte)(b & 0xC9);
                if ((b & 2) != 0) _rx.Clear();
                break;
            case 3: _lcr = b; break;
            case 4: _mcr = (byte)(b & 0x1f); break;
            case 7: _scr = b; break;
        }

        UpdateIrq();
    }

    public void SaveState(BinaryWriter w)
    {
        w.Write(_ier); w.Write(_lcr); w.Write(_mcr); w.Write(_scr); w.Write(_fcr); w.Write(_dll); w.Write(_dlm);
        w.Write(_thrPending);
        w.Write(_rx.Count);
        foreach (var b in _rx) w.Write(b);
    }

    public void LoadState(BinaryReader r)
    {
        _ier = r.ReadByte(); _lcr = r.ReadByte(); _mcr = r.ReadByte(); _scr = r.ReadByte(); _fcr = r.ReadByte();
        _dll = r.ReadByte(); _dlm = r.ReadByte();
        _thrPending = r.ReadBoolean();
        _rx.Clear();
        var n = r.ReadInt32();
        for (var i = 0; i < n; i++) _rx.Enqueue(r.ReadByte());
        UpdateIrq();
    }
}
