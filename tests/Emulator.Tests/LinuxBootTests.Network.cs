namespace Ringmaster.Emulator.Tests;

/// <summary>virtio-net both ways with Linux's driver: the guest pings a host-side peer that answers ARP and ICMP echo.</summary>
public partial class LinuxBootTests
{
    [Fact]
    public void Network_GuestPingsTheHostPeerWithSmallAndLargeFrames()
    {
        var peer = new FakeHostPeer([10, 0, 2, 2]);
        using var m = new RiscVMachine(DefaultImage(c => c with { Network = peer }));
        var s = new Session(m);
        var prompt = s.WaitFor("~ # ");

        // Markers are computed by the shell so that the echoed command line never matches them.
        s.Type("ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up; ping -c 1 -W 5 10.0.2.2; echo ping$((100+$?))");
        var after = s.WaitFor("ping10", prompt);
        Assert.Contains("1 packets received", s.Text[prompt..after]);
        Assert.Contains("ping100", s.Text[prompt..(after + 1)]); // ping's exit status 0

        // Frames near the MTU both ways, several in a row.
        s.Type("ping -c 3 -s 1400 10.0.2.2; echo big$((100+$?))");
        var done = s.WaitFor("big10", after);
        Assert.True(s.Text[after..done].Contains("3 packets received", StringComparison.Ordinal), $"large pings were lost:\n{s.Text[after..done]}");

        lock (peer.FromGuest)
        {
            // The guest's echo request: its MAC as source, IPv4 from 10.0.2.15, ICMP type 8.
            Assert.Contains(peer.FromGuest, f => f.Length > 34 && f.AsSpan(6, 6).SequenceEqual(peer.Mac)
                && f[12] == 0x08 && f[13] == 0x00 && f[23] == 1 && f.AsSpan(26, 4).SequenceEqual((byte[])[10, 0, 2, 15]) && f[34] == 8);
        }
    }
}
