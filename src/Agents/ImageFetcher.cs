using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ringmaster.Agents.Drivers;
using Ringmaster.Contracts;

namespace Ringmaster.Agents;

/// <summary>
/// Before a create: when the guest's image was imported into the server and this host lacks it,
/// downloads it from the server (with the agent's join token), checks its size and SHA-256, and
/// hands it to the driver to import. The definition then names the driver's local image.
/// </summary>
public sealed partial class ImageFetcher(IAgentServerAddress server, IOptions<AgentOptions> options, ILogger<ImageFetcher> logger)
{
    [GeneratedRegex("^[a-f0-9]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Sha256Pattern();

    [GeneratedRegex("^/api/v1/images/[a-z0-9][a-z0-9._-]{0,63}/content$", RegexOptions.CultureInvariant)]
    private static partial Regex ContentPathPattern();

    public async Task<GuestDefinition> PrepareAsync(GuestDefinition definition, IGuestImageImporter importer, IProgress<int> progress, CancellationToken cancellationToken) =>
        definition.ImageSource is { } source
            ? definition with { Image = await FetchAsync(source, importer, progress, cancellationToken).ConfigureAwait(false) }
            : definition;

    /// <summary>Makes sure the driver holds the imported image <paramref name="source"/> (fetched, checked and imported when it does not); its local name.</summary>
    public async Task<string> FetchAsync(ImageSource source, IGuestImageImporter importer, IProgress<int> progress, CancellationToken cancellationToken)
    {
        if (!Sha256Pattern().IsMatch(source.Sha256) || !ContentPathPattern().IsMatch(source.ContentPath) || source.ContentPath.Contains("..", StringComparison.Ordinal) || source.SizeBytes <= 0)
        {
            throw new GuestException($"The server described image '{source.Name}' in a way this agent does not accept.");
        }

        if (await importer.FindImportedAsync(source, cancellationToken).ConfigureAwait(false) is { } present)
        {
            return present;
        }

        var downloads = Path.Combine(Path.GetFullPath(options.Value.Data), "downloads");
        Directory.CreateDirectory(downloads);
        var file = Path.Combine(downloads, Guid.NewGuid().ToString("N"));
        try
        {
            await DownloadAsync(source, file, progress, cancellationToken).ConfigureAwait(false);
            progress.Report(40);
            var image = await importer.ImportAsync(source, file, cancellationToken).ConfigureAwait(false);
            progress.Report(50);
            return image;
        }
        finally
        {
            if (File.Exists(file))
            {
                File.Delete(file);
            }
        }
    }

    private async Task DownloadAsync(ImageSource source, string file, IProgress<int> progress, CancellationToken cancellationToken)
    {
        var baseUri = await server.GetAsync(cancellationToken).ConfigureAwait(false);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, source.ContentPath));
        if (options.Value.Token is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        logger.LogInformation("Fetching image {Name} ({Size} bytes) from the server", source.Name, source.SizeBytes);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new GuestException($"Could not fetch image '{source.Name}' from the server: {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
        await using (var output = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
                if (total > source.SizeBytes)
                {
                    throw new GuestException($"Image '{source.Name}' from the server is larger than its recorded {source.SizeBytes} bytes; not used.");
                }

                sha.AppendData(buffer, 0, read);
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                progress.Report(5 + (int)(30 * total / source.SizeBytes));
            }
        }

        var actual = Convert.ToHexStringLower(sha.GetHashAndReset());
        if (total != source.SizeBytes || actual != source.Sha256)
        {
            throw new GuestException($"Image '{source.Name}' from the server does not match its checksum (sha256 {actual}, {total} bytes; expected {source.Sha256}, {source.SizeBytes} bytes); not used.");
        }
    }
}
