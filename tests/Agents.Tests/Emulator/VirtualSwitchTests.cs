using Ringmaster.Agents.Drivers.Emulator;

namespace Ringmaster.Agents.Tests.Emulator;

/// <summary>The agent's Ethernet switch between VMs, driven with hand-made frames.</summary>
public sealed class VirtualSwitchTests
{
    private static readonly byte[] MacA = [0x02, 0, 0, 0, 0, 0xa], MacB = [0x02, 0, 0, 0, 0, 0xb], MacC = [0x02, 0, 0, 0, 0, 0xc];
    private static readonly byte[] Broadcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

    private static byte[] Frame(byte[] to, byte[] from, byte payload) => [.. to, .. from, 0x08, 0x00, payload];

    private static List<byte[]> Drain(SwitchPort port)
    {
        var frames = new List<byte[]>();
        while (port.TryReceive(out var f))
            frames.Add(f);
        return frames;
    }

    [Fact]
    public void Send_ToAConnectedMac_ReachesOnlyThatPort()
    {
        var sw = new VirtualSwitch();
        var a = sw.Connect(MacA);
        var b = sw.Connect(MacB);
        var c = sw.Connect(MacC);

        a.Send(Frame(MacB, MacA, 1));

        Assert.Equal([Frame(MacB, MacA, 1)], Drain(b));
        Assert.Empty(Drain(c));
        Assert.Empty(Drain(a));
    }

    [Fact]
    public void Send_Broadcast_ReachesEveryOtherPortAndWakesIt()
    {
        var sw = new VirtualSwitch();
        var a = sw.Connect(MacA);
        var b = sw.Connect(MacB);
        var c = sw.Connect(MacC);
        var woken = 0;
        b.Attach(() => woken++);

        a.Send(Frame(Broadcast, MacA, 2));

        Assert.Single(Drain(b));
        Assert.Single(Drain(c));
        Assert.Empty(Drain(a));
        Assert.Equal(1, woken);
    }

    [Fact]
    public void Send_FromASpoofedSource_IsLearnedThenUnicast()
    {
        var sw = new VirtualSwitch();
        var a = sw.Connect(MacA);
        var b = sw.Connect(MacB);
        var c = sw.Connect(MacC);
        byte[] other = [0x02, 0, 0, 0, 0, 0xd];

        a.Send(Frame(other, MacA, 3));                 // unknown destination: flooded
        Assert.Single(Drain(b));
        Assert.Single(Drain(c));
        a.Send(Frame(MacB, other, 4));                 // A now also answers for "other"
        Drain(b);
        c.Send(Frame(other, MacC, 5));

        Assert.Equal([Frame(other, MacC, 5)], Drain(a));
        Assert.Empty(Drain(b));
    }

    [Fact]
    public void Disconnect_Port_ReceivesNothingMoreAndSendsNothing()
    {
        var sw = new VirtualSwitch();
        var a = sw.Connect(MacA);
        var b = sw.Connect(MacB);

        sw.Disconnect(b);
        a.Send(Frame(MacB, MacA, 6));
        b.Send(Frame(MacA, MacB, 7));

        Assert.Empty(Drain(b));
        Assert.Empty(Drain(a));
        Assert.Equal(1, sw.PortCount);
    }

    [Fact]
    public void Deliver_ToAGuestThatDoesNotRead_DropsBeyondTheQueueLimit()
    {
        var sw = new VirtualSwitch();
        var a = sw.Connect(MacA);
        var b = sw.Connect(MacB);

        for (var i = 0; i < SwitchPort.MaxQueued + 10; i++)
            a.Send(Frame(MacB, MacA, (byte)i));

        Assert.Equal(SwitchPort.MaxQueued, Drain(b).Count);
        Assert.Equal(10, b.Dropped);
    }

    [Fact]
    public void Send_RuntOrOversizedFrame_IsDropped()
    {
        var sw = new VirtualSwitch();
        var a = sw.Connect(MacA);
        var b = sw.Connect(MacB);

        a.Send(MacB);
        a.Send([.. MacB, .. MacA, .. new byte[VirtualSwitch.MaxFrame]]);

        Assert.Empty(Drain(b));
    }

    [Fact]
    public void Connect_MulticastMac_Refused()
    {
        Assert.Throws<ArgumentException>(() => new VirtualSwitch().Connect([0x01, 0, 0x5e, 0, 0, 1]));
    }
}
