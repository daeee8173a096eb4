using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Ringmaster.Contracts;
using Ringmaster.Emulator;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>
/// The VMs' network: every VM of this agent with a network interface is wired to one
/// <see cref="VirtualSwitch"/>, so VMs on the same host reach each other over Ethernet. A VM's MAC
/// is the one its definition gives, or one derived from its id (locally administered, stable),
/// written into its saved definition when it is created.
/// </summary>
public sealed class EmulatorNetwork
{
    private readonly VirtualSwitch _switch = new();
    private readonly ConcurrentDictionary<Guid, SwitchPort> _ports = new();

    /// <summary>The switch the VMs of this agent are plugged into.</summary>
    public VirtualSwitch Switch => _switch;

    /// <summary>The stable, locally administered unicast MAC address of the VM with id <paramref name="id"/>.</summary>
    public static string MacFor(Guid id)
    {
        var hash = SHA256.HashData(id.ToByteArray());
        byte[] mac = [0x02, hash[0], hash[1], hash[2], hash[3], hash[4]];
        return FormatMac(mac);
    }

    /// <summary>The definition's networks with every MAC address filled in and checked.</summary>
    internal static MachineSpec AssignMacs(GuestDefinition definition)
    {
        var spec = definition.Spec;
        var networks = spec.Networks ?? [];
        if (networks.Count > 1)
        {
            throw new GuestException("An emulated VM has at most one network interface.");
        }

        var assigned = new List<NetworkSpec>();
        foreach (var network in networks)
        {
            if (network.Mac is null)
            {
                assigned.Add(network with { Mac = MacFor(definition.Id) });
                continue;
            }

            var mac = ParseMac(network.Mac) ?? throw new GuestException($"'{network.Mac}' is not a MAC address (six hex bytes like 02:00:00:00:00:01).");
            if ((mac[0] & 1) != 0)
            {
                throw new GuestException($"'{network.Mac}' is a multicast address; a network interface needs a unicast MAC.");
            }

            assigned.Add(network with { Mac = FormatMac(mac) });
        }

        return spec with { Networks = assigned };
    }

    /// <summary>Plugs the VM into the switch (when it has a network interface); the port is the machine's network endpoint.</summary>
    internal SwitchPort? Connect(EmulatorVm vm)
    {
        Disconnect(vm);
        var network = vm.Definition.Spec.Networks?.FirstOrDefault();
        if (network is null)
        {
            return null;
        }

        var port = _switch.Connect(MacOf(vm.Definition, network));
        _ports[vm.Definition.Id] = port;
        return port;
    }

    /// <summary>
    /// The VM's network interface plugged into nothing (its own MAC, no frames in or out), for a copy
    /// of the VM that must have the same devices as the VM but must not meet it on the switch: a
    /// backup's test boot. Null when the VM has no network interface.
    /// </summary>
    internal static INetworkEndpoint? Unplugged(GuestDefinition definition)
    {
        var network = definition.Spec.Networks?.FirstOrDefault();
        if (network is null)
        {
            return null;
        }

        return new NullNetworkEndpoint(MacOf(definition, network));
    }

    /// <summary>The interface's MAC: the one the definition gives, or the one derived from the VM's id.</summary>
    private static byte[] MacOf(GuestDefinition definition, NetworkSpec network) =>
        (network.Mac is { } text ? ParseMac(text) : null) ?? ParseMac(MacFor(definition.Id))!;

    /// <summary>Unplugs the VM's port (only <paramref name="port"/> when given, so a stale release cannot unplug a newer start).</summary>
    internal void Disconnect(EmulatorVm vm, SwitchPort? port = null)
    {
        if (port is null ? _ports.TryRemove(vm.Definition.Id, out port) : _ports.TryRemove(new KeyValuePair<Guid, SwitchPort>(vm.Definition.Id, port)))
        {
            _switch.Disconnect(port);
        }
    }

    private static string FormatMac(ReadOnlySpan<byte> mac) =>
        string.Join(':', mac.ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    private static byte[]? ParseMac(string text)
    {
        var parts = text.Split(':', '-');
        if (parts.Length != 6)
        {
            return null;
        }

        var mac = new byte[6];
        for (var i = 0; i < 6; i++)
        {
            if (parts[i].Length != 2 || !byte.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mac[i]))
            {
                return null;
            }
        }

        return mac;
    }
}
