using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ringmaster.Cli;

/// <summary>
/// The config file, <c>$XDG_CONFIG_HOME/ringmaster/config.json</c> (or <c>~/.config/…</c>): the
/// server URL and the token <c>ringmaster login</c> got from it. Written with mode 0600.
/// </summary>
public sealed record CliConfig(string? Server, string? Token)
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static string PathFor(CliEnvironment env)
    {
        var configHome = env.GetVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrWhiteSpace(configHome))
        {
            var home = env.GetVariable("HOME");
            configHome = string.IsNullOrWhiteSpace(home)
                ? Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData)
                : Path.Combine(home, ".config");
        }

        return Path.Combine(configHome, "ringmaster", "config.json");
    }

    public static CliConfig Load(CliEnvironment env)
    {
        var path = PathFor(env);
        if (!File.Exists(path))
        {
            return new CliConfig(null, null);
        }

        try
        {
            return JsonSerializer.Deserialize<CliConfig>(File.ReadAllText(path), s_json) ?? new CliConfig(null, null);
        }
        catch (JsonException e)
        {
            throw new CliException($"The config file {path} is not valid JSON ({e.Message}); fix it or remove it and run `ringmaster login` again.", ExitCodes.Usage);
        }
    }

    public string Save(CliEnvironment env)
    {
        var path = PathFor(env);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, this, s_json);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, path, overwrite: true);
        return path;
    }
}

/// <summary>Where to send requests and with which token.</summary>
/// <remarks>
/// Precedence: flags (<c>--server</c>, <c>--token</c>), then the environment (<c>RINGMASTER_URL</c>,
/// <c>RINGMASTER_TOKEN</c>), then the config file, then <c>http://127.0.0.1:5080</c>. The config
/// file's token is only sent to the config file's server, never to another one named by a flag or
/// the environment.
/// </remarks>
public sealed record Connection(Uri Server, string? Token)
{
    public const string DefaultServer = "http://127.0.0.1:5080";

    public static Connection Resolve(string? serverFlag, string? tokenFlag, CliEnvironment env)
    {
        var config = CliConfig.Load(env);
        var serverText = FirstOf(serverFlag, env.GetVariable("RINGMASTER_URL"), config.Server) ?? DefaultServer;
        var server = ParseServer(serverText);
        var configToken = config.Server is not null && ParseServer(config.Server) == server ? config.Token : null;
        var token = FirstOf(tokenFlag, env.GetVariable("RINGMASTER_TOKEN"), configToken);
        return new Connection(server, token);
    }

    public static Uri ParseServer(string text)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(uri.Host))
        {
            throw new CliException($"The server '{text}' is not an http:// or https:// URL.", ExitCodes.Usage);
        }

        var baseText = uri.GetLeftPart(UriPartial.Path);
        return new Uri(baseText.EndsWith('/') ? baseText : baseText + "/");
    }

    private static string? FirstOf(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();
}
