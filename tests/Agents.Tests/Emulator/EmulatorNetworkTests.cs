using System.Text;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Emulator;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Emulator;

/// <summary>VMs of one agent on its virtual switch, with the built-in image's Linux.</summary>
public sealed class EmulatorNetworkTests : IAsyncDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("ringmaster-vmnet-").FullName;
    private readonly EmulatorDriverOptions _options;
    private readonly TestEngine _driver;

    public EmulatorNetworkTests()
    {
        _options = new EmulatorDriverOptions { VmsPath = Path.Combine(_data, "vms") };
        _driver = NewDriver();
    }

    private TestEngine NewDriver() => TestEngine.Emulator(_options);

    public async ValueTask DisposeAsync()
    {
        await _driver.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    private static GuestDefinition Define(string name, string? mac = null) =>
        new(Guid.NewGuid(), name, MachineKind.Vm, "default", [], new MachineSpec(1, 128, [new DiskSpec("root", 1)], [new NetworkSpec("eth0", mac)]), new Dictionary<string, string>());

    [Fact]
    public async Task Create_WithoutMac_GetsAStableLocalMacKeptAcrossAgentRestarts()
    {
        var definition = Define("vm-mac");

        var guest = await _driver.Lifecycle.CreateAsync(definition, new Progress<int>(), CancellationToken.None);

        var mac = guest.Spec.Networks[0].Mac;
        Assert.Equal(EmulatorNetwork.MacFor(definition.Id), mac);
        Assert.Matches("^02(:[0-9a-f]{2}){5}$", mac);
        await using var restarted = NewDriver();
        Assert.Equal(mac, Assert.Single(await restarted.Lifecycle.ListAsync(CancellationToken.None)).Spec.Networks[0].Mac);
    }

    [Fact]
    public async Task Create_WithGivenMac_KeepsIt()
    {
        var guest = await _driver.Lifecycle.CreateAsync(Define("vm-given", "02-AA-bb-00-00-01"), new Progress<int>(), CancellationToken.None);

        Assert.Equal("02:aa:bb:00:00:01", guest.Spec.Networks[0].Mac);
    }

    [Theory]
    [InlineData("02:00:00:00:00", "is not a MAC address")]
    [InlineData("zz:00:00:00:00:01", "is not a MAC address")]
    [InlineData("01:00:5e:00:00:01", "multicast")]
    public async Task Create_BadMac_ClearErrorAndNothingLeft(string mac, string message)
    {
        var error = await Assert.ThrowsAsync<GuestException>(() => _driver.Lifecycle.CreateAsync(Define("vm-badmac", mac), new Progress<int>(), CancellationToken.None));

        Assert.Contains(message, error.Message);
        Assert.Empty(await _driver.Lifecycle.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task TwoVms_OnOneAgent_PingEachOther()
    {
        var a = Define("vm-net-a");
        var b = Define("vm-net-b");
        await _driver.Lifecycle.CreateAsync(a, new Progress<int>(), CancellationToken.None);
        await _driver.Lifecycle.CreateAsync(b, new Progress<int>(), CancellationToken.None);
        await _driver.Lifecycle.StartAsync(a.Id, CancellationToken.None);
        await _driver.Lifecycle.StartAsync(b.Id, CancellationToken.None);
        await using var consoleA = await _driver.Lifecycle.AttachConsoleAsync(a.Id, CancellationToken.None);
        await using var consoleB = await _driver.Lifecycle.AttachConsoleAsync(b.Id, CancellationToken.None);
        var seenA = new StringBuilder();
        var seenB = new StringBuilder();
        await ReadUntilAsync(consoleA, seenA, s => s.Contains("~ # "), TimeSpan.FromMinutes(3));
        await ReadUntilAsync(consoleB, seenB, s => s.Contains("~ # "), TimeSpan.FromMinutes(3));
        await Task.Delay(700); // ash asks the terminal for its size before it reads a line

        // Markers are computed by the shell so that the echoed command line never matches them.
        await consoleB.WriteAsync(Encoding.ASCII.GetBytes("ifconfig eth0 10.0.3.2 netmask 255.255.255.0 up; echo b$((40+2))up\n"), CancellationToken.None);
        await ReadUntilAsync(consoleB, seenB, s => s.Contains("b42up"), TimeSpan.FromSeconds(60));
        await consoleA.WriteAsync(Encoding.ASCII.GetBytes("cat /sys/class/net/eth0/address; ifconfig eth0 10.0.3.1 netmask 255.255.255.0 up; ping -c 2 -W 5 10.0.3.2; echo ping$((100+$?))\n"), CancellationToken.None);
        await ReadUntilAsync(consoleA, seenA, s => s.Contains("ping10"), TimeSpan.FromSeconds(90));

        var text = seenA.ToString();
        Assert.True(text.Contains("2 packets received", StringComparison.Ordinal) && text.Contains("ping100", StringComparison.Ordinal), $"A could not ping B:\n{text[Math.Max(0, text.Length - 1500)..]}");
        Assert.Contains(EmulatorNetwork.MacFor(a.Id), text);
        Assert.Equal(2, _driver.Get<EmulatorNetwork>().Switch.PortCount);

        await _driver.Lifecycle.StopAsync(b.Id, TimeSpan.FromSeconds(1), false, CancellationToken.None);
        Assert.Equal(1, _driver.Get<EmulatorNetwork>().Switch.PortCount); // a stopped VM is unplugged
    }

    private static async Task ReadUntilAsync(IGuestConsole console, StringBuilder seen, Func<string, bool> done, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (!done(seen.ToString()))
            {
                var chunk = await console.Output.ReadAsync(cts.Token);
                seen.Append(Encoding.UTF8.GetString(chunk));
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"Timed out; the console showed:\n{seen}");
        }
    }
}
