using System.Text;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Web.Access;

namespace Ringmaster.Web.Services;

/// <summary>An imported image with what uses it, as the Images page lists it.</summary>
public sealed record ImageRow(ImageView Image, ImageUse Use);

/// <summary>
/// What the dashboard's Images and Templates page reads and changes, through the same services as the
/// REST API (<see cref="ImageService"/>, <see cref="CatalogService"/>): everyone reads; imports,
/// deletes and new templates are for admins, run in the signed-in admin's name and audited with the
/// image's or template's name.
/// </summary>
public sealed class ImageActions(ImageService images, CatalogService catalog, DashboardCaller caller)
{
    /// <summary>The largest image the server takes, in bytes (the upload's own limit).</summary>
    public long MaxBytes => images.MaxBytes;

    public async Task<bool> IsAdminAsync() => await caller.PrincipalAsync() is { } principal && principal.HasRole(AccessRole.Admin);

    public async Task<IReadOnlyList<ImageRow>> ImagesAsync(CancellationToken cancellationToken = default)
    {
        var list = await images.ListAsync(cancellationToken);
        var uses = await images.UsesAsync(cancellationToken);
        return [.. list.Select(i => new ImageRow(i, uses.GetValueOrDefault(i.Name) ?? new ImageUse([], 0)))];
    }

    public async Task<IReadOnlyList<TemplateView>> TemplatesAsync(CancellationToken cancellationToken = default) =>
        [.. (await catalog.ListAsync(cancellationToken)).OrderBy(t => t.Name, StringComparer.Ordinal)];

    /// <summary>
    /// Imports <paramref name="content"/> as image <paramref name="name"/> of <paramref name="kind"/>:
    /// name and kind are checked, and the name looked up, before a byte is read; the bytes go straight
    /// to the server's staging folder (never held in memory), then are checked for their kind's format.
    /// A cancelled, refused or failed upload leaves no file and no image behind.
    /// </summary>
    public Task<ServiceResult<ImageView>> UploadAsync(string? name, string? kind, string fileName, long size, Func<CancellationToken, Stream> open, CancellationToken cancellationToken = default) =>
        caller.RunAsync("image.import", $"image {name}", async _ =>
        {
            var errors = ImageService.Validate(name, kind);
            if (errors.Count > 0)
            {
                return ServiceResult<ImageView>.Invalid(errors);
            }

            if (size > images.MaxBytes)
            {
                return ServiceResult<ImageView>.Invalid("file", new ImageTooLargeException(images.MaxBytes).Message);
            }

            if (await images.FindAsync(name!, cancellationToken) is not null || (await catalog.ListAsync(cancellationToken)).Any(t => t.Image == name))
            {
                return ServiceResult<ImageView>.Conflict($"An image named '{name}' already exists.");
            }

            StagedImage staged;
            try
            {
                await using var content = open(cancellationToken);
                staged = await images.StageAsync(content, PlainFileName(fileName), cancellationToken);
            }
            catch (ImageTooLargeException e)
            {
                return ServiceResult<ImageView>.Invalid("file", e.Message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ServiceResult<ImageView>.Conflict("The upload was cancelled; nothing was kept.");
            }

            try
            {
                return await images.CommitAsync(name, kind, staged, "upload:" + staged.FileName, cancellationToken);
            }
            catch (ImageTooLargeException e)
            {
                return ServiceResult<ImageView>.Invalid("file", e.Message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ServiceResult<ImageView>.Conflict("The upload was cancelled; nothing was kept.");
            }
        }, $"{kind}, {size} bytes from {PlainFileName(fileName)}", AccessRole.Admin);

    public Task<ServiceResult<ImageView>> DeleteImageAsync(string name, CancellationToken cancellationToken = default) =>
        caller.RunAsync("image.delete", $"image {name}", _ => images.DeleteAsync(name, cancellationToken), needs: AccessRole.Admin);

    public Task<ServiceResult<TemplateView>> CreateTemplateAsync(CreateTemplateRequest request, CancellationToken cancellationToken = default) =>
        caller.RunAsync("template.create", $"template {request.Name}", _ => catalog.CreateAsync(request, cancellationToken),
            $"image {request.Image}, {request.Vcpus} vCPU, {request.MemoryMiB} MiB, {request.DiskGiB} GiB", AccessRole.Admin);

    public Task<ServiceResult<TemplateView>> DeleteTemplateAsync(string name, CancellationToken cancellationToken = default) =>
        caller.RunAsync("template.delete", $"template {name}", _ => catalog.DeleteAsync(name, cancellationToken), needs: AccessRole.Admin);

    /// <summary>
    /// A browser's file name as the image's source records it: what the import's file-name rule takes
    /// (letters, digits, '.', '_', '-', space), anything else as '_' ("disk (1).iso" is "disk _1_.iso").
    /// </summary>
    public static string PlainFileName(string? fileName)
    {
        var plain = new StringBuilder();
        foreach (var c in Path.GetFileName(fileName ?? "") ?? "")
        {
            plain.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ' ' ? c : '_');
        }

        var text = plain.ToString().Replace("..", "_", StringComparison.Ordinal).Trim();
        text = text.Length > 0 && char.IsAsciiLetterOrDigit(text[0]) ? text : "f" + text;
        text = text.Length > 128 ? text[..128] : text;
        return ImageService.IsValidFileName(text) ? text : "upload";
    }

    /// <summary>The kind a file's name suggests: an ISO, a VM disk, or else a container's root filesystem tarball.</summary>
    public static ImageKind GuessKind(string? fileName)
    {
        var lower = (fileName ?? "").ToLowerInvariant();
        return Path.GetExtension(lower) switch
        {
            ".iso" => ImageKind.Iso,
            ".qcow2" or ".img" or ".raw" or ".vmdk" or ".vdi" or ".vhd" or ".vhdx" or ".ova" => ImageKind.Disk,
            _ => ImageKind.Container,
        };
    }

    /// <summary>An image name made from a file's name: "Debian 12.iso" is "debian-12".</summary>
    public static string NameFrom(string? fileName)
    {
        var stem = (fileName ?? "").ToLowerInvariant();
        foreach (var suffix in new[] { ".tar.gz", ".tgz", ".tar", ".iso", ".qcow2", ".img", ".raw", ".vmdk", ".vdi", ".vhdx", ".vhd", ".ova" })
        {
            if (stem.EndsWith(suffix, StringComparison.Ordinal))
            {
                stem = stem[..^suffix.Length];
                break;
            }
        }

        var name = new string([.. stem.Select(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-' ? c : '-')]);
        while (name.Contains("--", StringComparison.Ordinal))
        {
            name = name.Replace("--", "-", StringComparison.Ordinal);
        }

        name = name.Replace("..", ".", StringComparison.Ordinal).Trim('-', '.', '_');
        name = name.Length > 64 ? name[..64].TrimEnd('-', '.', '_') : name;
        return ImageService.IsValidName(name) ? name : "";
    }
}
