using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ringmaster.Agents.Drivers.Common;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>
/// A NoCloud seed: <c>meta-data</c>, <c>user-data</c> and an optional <c>network-config</c> on an ISO
/// labelled <c>cidata</c> (Debian's <c>genisoimage</c>), which the VM gets as a CD-ROM. The user-data
/// Ringmaster writes is a <c>#cloud-config</c> document in JSON (a subset of YAML); the user's own
/// user-data goes beside it as a second part of a MIME multipart, so cloud-init merges it after.
/// </summary>
public static class CloudInitSeed
{
    public const string IsoName = "cidata.iso";
    private const string Boundary = "==RINGMASTER-CLOUD-INIT==";

    /// <summary>Writes the seed of <paramref name="definition"/> into <paramref name="folder"/> and returns the ISO's path.</summary>
    public static async Task<string> WriteAsync(GuestDefinition definition, CloudInitConfig config, string folder, CancellationToken cancellationToken)
    {
        var seed = Path.Combine(folder, "seed");
        Directory.CreateDirectory(seed);
        var files = new List<string>
        {
            await WriteFileAsync(seed, "meta-data", MetaData(definition, config), cancellationToken).ConfigureAwait(false),
            await WriteFileAsync(seed, "user-data", UserData(definition, config), cancellationToken).ConfigureAwait(false),
        };
        if (config.NetworkConfig is { } network)
        {
            files.Add(await WriteFileAsync(seed, "network-config", network, cancellationToken).ConfigureAwait(false));
        }

        var iso = Path.Combine(folder, IsoName);
        await HostTool.RunAsync("genisoimage", "genisoimage", cancellationToken, ["-quiet", "-output", iso, "-volid", "cidata", "-joliet", "-rock", .. files]).ConfigureAwait(false);

        // The ISO is what the guest reads; the loose files (a password among them) are not kept.
        Directory.Delete(seed, recursive: true);
        return iso;
    }

    public static string MetaData(GuestDefinition definition, CloudInitConfig config) =>
        $"instance-id: {definition.Id:N}\nlocal-hostname: {config.Hostname ?? definition.Name}\n";

    public static string UserData(GuestDefinition definition, CloudInitConfig config)
    {
        var document = new JsonObject { ["hostname"] = config.Hostname ?? definition.Name };
        if (config.User is { } user)
        {
            var account = new JsonObject
            {
                ["name"] = user,
                ["shell"] = "/bin/bash",
                ["sudo"] = "ALL=(ALL) NOPASSWD:ALL",
                ["lock_passwd"] = config.Password is null,
            };
            if (config.Password is { } password)
            {
                account["plain_text_passwd"] = password;
            }

            if (config.SshKeys is { Count: > 0 } keys)
            {
                account["ssh_authorized_keys"] = new JsonArray([.. keys.Select(k => (JsonNode?)JsonValue.Create(k.Trim()))]);
            }

            document["users"] = new JsonArray(account);
            document["ssh_pwauth"] = config.Password is not null;
        }

        var generated = "#cloud-config\n" + document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        if (config.UserData is not { Length: > 0 } own)
        {
            return generated;
        }

        var ownType = own.StartsWith("#!", StringComparison.Ordinal) ? "text/x-shellscript" : "text/cloud-config";
        var mime = new StringBuilder()
            .Append("Content-Type: multipart/mixed; boundary=\"").Append(Boundary).Append("\"\nMIME-Version: 1.0\n\n")
            .Append("--").Append(Boundary).Append("\nContent-Type: text/cloud-config; charset=\"utf-8\"\nContent-Disposition: attachment; filename=\"ringmaster.cfg\"\n\n")
            .Append(generated).Append('\n')
            .Append("--").Append(Boundary).Append("\nContent-Type: ").Append(ownType).Append("; charset=\"utf-8\"\nContent-Disposition: attachment; filename=\"user-data\"\n\n")
            .Append(own.EndsWith('\n') ? own : own + "\n")
            .Append("--").Append(Boundary).Append("--\n");
        return mime.ToString();
    }

    private static async Task<string> WriteFileAsync(string folder, string name, string text, CancellationToken cancellationToken)
    {
        var path = Path.Combine(folder, name);
        await File.WriteAllTextAsync(path, text, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        return path;
    }
}
