using System.Text.RegularExpressions;
using Ringmaster.Contracts;
using Ringmaster.Shared;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Ringmaster.Core.Services;

/// <summary>What a cloud-init seed and port forwards may hold; each problem is reported against its field.</summary>
public static partial class CloudInitRules
{
    public const int MaxUserDataBytes = 64 * 1024;
    public const int MaxSshKeys = 32;
    public const int MaxForwards = 16;

    /// <summary>Checks <paramref name="config"/>; each problem goes to <paramref name="error"/> as (field, message).</summary>
    public static void Validate(CloudInitConfig config, Action<string, string> error)
    {
        if (config.Hostname is { } hostname && !HostnamePattern().IsMatch(hostname))
        {
            error("cloudInit.hostname", "A host name is 1 to 63 letters, digits and '-', not starting or ending with '-'.");
        }

        if (config.User is { } user && !UserPattern().IsMatch(user))
        {
            error("cloudInit.user", "A user name is 1 to 32 lower-case letters, digits, '_' and '-', starting with a letter or '_'.");
        }

        if (config.Password is { } password && (password.Length is 0 or > 256 || password.Any(char.IsControl)))
        {
            error("cloudInit.password", "A password is 1 to 256 characters on one line.");
        }

        if ((config.Password is not null || config.SshKeys is { Count: > 0 }) && config.User is null)
        {
            error("cloudInit.user", "Name the user the password or SSH keys are for.");
        }

        if (config.SshKeys is { } keys)
        {
            if (keys.Count > MaxSshKeys)
            {
                error("cloudInit.sshKeys", $"At most {MaxSshKeys} SSH keys.");
            }

            foreach (var key in keys)
            {
                if (key is null || !SshKeyPattern().IsMatch(key) || key.Length > 16 * 1024)
                {
                    error("cloudInit.sshKeys", $"'{InputText.Clip(key ?? "", 40)}' is not an SSH public key (one line: its type such as ssh-ed25519, then the key in base64, then an optional comment).");
                }
            }
        }

        if (config.UserData is { } userData && YamlProblem(userData, allowScript: true) is { } userDataProblem)
        {
            error("cloudInit.userData", userDataProblem);
        }

        if (config.NetworkConfig is { } networkConfig && YamlProblem(networkConfig, allowScript: false) is { } networkProblem)
        {
            error("cloudInit.networkConfig", networkProblem);
        }
    }

    /// <summary>Checks port forwards: ports 1–65535, tcp or udp, each host port once.</summary>
    public static void Validate(IReadOnlyList<PortForward> ports, Action<string, string> error)
    {
        if (ports.Count > MaxForwards)
        {
            error("ports", $"At most {MaxForwards} port forwards.");
        }

        foreach (var port in ports)
        {
            if (port is null || port.HostPort is < 1 or > 65535 || port.GuestPort is < 1 or > 65535)
            {
                error("ports", $"Port forward {port?.HostPort} → {port?.GuestPort}: ports are between 1 and 65535.");
            }
            else if (port.Protocol is { } protocol && protocol is not ("tcp" or "udp"))
            {
                error("ports", $"Port forward {port.HostPort} → {port.GuestPort}: the protocol is tcp or udp, not '{InputText.Clip(protocol, 16)}'.");
            }
        }

        foreach (var twice in ports.Where(p => p is not null).GroupBy(p => (p.HostPort, p.Protocol ?? "tcp")).Where(g => g.Count() > 1))
        {
            error("ports", $"Host port {twice.Key.HostPort}/{twice.Key.Item2} is forwarded twice.");
        }
    }

    /// <summary>Why <paramref name="text"/> is not a YAML mapping (or, when allowed, a <c>#!</c> script); null when it is.</summary>
    public static string? YamlProblem(string text, bool allowScript)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(text) > MaxUserDataBytes)
        {
            return $"It is larger than {MaxUserDataBytes / 1024} KiB.";
        }

        if (allowScript && text.StartsWith("#!", StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            return stream.Documents.Count == 1 && stream.Documents[0].RootNode is YamlMappingNode
                ? null
                : allowScript
                    ? "It must be one YAML mapping (a #cloud-config document) or a script starting with #!."
                    : "It must be one YAML mapping.";
        }
        catch (YamlException e)
        {
            return $"It is not YAML: line {e.Start.Line}, column {e.Start.Column}: {e.Message}";
        }
    }

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex HostnamePattern();

    [GeneratedRegex("^[a-z_][a-z0-9_-]{0,31}$")]
    private static partial Regex UserPattern();

    [GeneratedRegex(@"^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$")]
    private static partial Regex SshKeyPattern();
}
