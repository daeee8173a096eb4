using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services;

/// <summary>Image import settings (section <c>Ringmaster</c>).</summary>
public sealed record ImageOptions
{
    /// <summary>The only folder <c>POST /api/v1/images {"path"}</c> may import from; default <c>&lt;data&gt;/import</c>.</summary>
    public string? ImportRoot { get; init; }

    /// <summary>The largest image accepted, in MiB (413 above it).</summary>
    public long MaxImageMiB { get; init; } = 4096;
}

/// <summary>An upload, or what it expands to, is larger than <see cref="ImageOptions.MaxImageMiB"/> (or than a compressed image ever expands).</summary>
public sealed class ImageTooLargeException(long limitBytes, bool expanded = false, string? reason = null) : Exception(reason ?? (expanded
    ? $"This image expands to more than {limitBytes / (1024 * 1024)} MiB; an image is at most that, compressed or expanded (Ringmaster:MaxImageMiB)."
    : $"An image is at most {limitBytes / (1024 * 1024)} MiB (Ringmaster:MaxImageMiB)."))
{
    /// <summary>How many times its size a gzip image may expand (past <see cref="RatioFloorBytes"/>): root filesystems compress 3–10 times; a bomb a thousand.</summary>
    public const long MaxRatio = 100;

    /// <summary>Below this a compressed image may expand any amount.</summary>
    public const long RatioFloorBytes = 64L << 20;

    public long LimitBytes { get; } = limitBytes;
}

/// <summary>What uses an image: the templates made from it, and how many machines run from it or boot it as their CD.</summary>
public sealed record ImageUse(IReadOnlyList<string> Templates, int Machines)
{
    public bool InUse => Templates.Count > 0 || Machines > 0;
}

/// <summary>An uploaded file written to the server's staging folder, with its checksum.</summary>
public sealed record StagedImage(string TempPath, string Sha256, long SizeBytes, string? FileName);

/// <summary>
/// Imports images into the server's data folder (<c>images/</c>) with their SHA-256 and size:
/// container images as root filesystem tarballs (.tar or .tar.gz), VM images as a tarball of the
/// emulator's image folder (firmware <c>fw_dynamic.bin</c>, a kernel <c>Image</c>/<c>Image.gz</c>/<c>vmlinuz</c>,
/// optionally <c>initramfs.cpio.gz</c> and <c>manifest.json</c>), and ISO 9660 images (installer CDs
/// for QEMU VMs, <see cref="ImageKind.Iso"/>), and VM disks from other hypervisors (<see cref="ImageKind.Disk"/>,
/// their format told by <see cref="DiskImages"/>). Names, upload file names and
/// import paths are checked strictly: nothing is read or written outside the folders meant for it.
/// </summary>
public sealed partial class ImageService(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    IOptions<RingmasterOptions> ringmaster,
    IOptions<ImageOptions> options,
    ILogger<ImageService> logger)
{
    public const string NameRule = "1–64 characters of lowercase letters, digits, '.', '_' and '-', starting and ending with a letter or digit";

    private static readonly string[] s_kernels = ["Image.gz", "Image", "vmlinuz"];
    private static readonly HashSet<string> s_vmFiles = ["fw_dynamic.bin", "Image.gz", "Image", "vmlinuz", "initramfs.cpio.gz", "manifest.json"];

    [GeneratedRegex("^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._ -]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex FileNamePattern();

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    public long MaxBytes => options.Value.MaxImageMiB * 1024 * 1024;

    public string ImagesPath => Path.Combine(ringmaster.Value.DataPath, "images");

    public string ImportRoot => Path.GetFullPath(string.IsNullOrWhiteSpace(options.Value.ImportRoot)
        ? Path.Combine(ringmaster.Value.DataPath, "import")
        : RingmasterOptions.Resolve(options.Value.ImportRoot));

    public static ImageKind? ParseKind(string? kind) => kind?.Trim().ToLowerInvariant() switch
    {
        "container" => ImageKind.Container,
        "vm" => ImageKind.Vm,
        "iso" => ImageKind.Iso,
        "disk" => ImageKind.Disk,
        _ => null,
    };

    /// <summary>Checks name and kind before any byte is read; the errors by field, empty when fine.</summary>
    public static Dictionary<string, string[]> Validate(string? name, string? kind)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(name))
        {
            errors["name"] = ["A name is required."];
        }
        else if (!IsValidName(name))
        {
            errors["name"] = [$"The name must be {NameRule}."];
        }

        if (string.IsNullOrWhiteSpace(kind))
        {
            errors["kind"] = ["A kind is required: container, vm, iso or disk."];
        }
        else if (ParseKind(kind) is null)
        {
            errors["kind"] = ["Unknown kind; it is container, vm, iso or disk."];
        }

        return errors;
    }

    /// <summary>An upload's file name, checked: a plain name, no folders, no traversal, no control characters.</summary>
    public static bool IsValidFileName(string? fileName) =>
        fileName is not null && FileNamePattern().IsMatch(fileName) && !fileName.Contains("..", StringComparison.Ordinal);

    /// <summary>Writes <paramref name="content"/> to the staging folder, hashing it; throws <see cref="ImageTooLargeException"/> past the limit.</summary>
    public async Task<StagedImage> StageAsync(Stream content, string? fileName, CancellationToken cancellationToken)
    {
        var staging = Path.Combine(ImagesPath, ".staging");
        Directory.CreateDirectory(staging);
        var temp = Path.Combine(staging, Guid.NewGuid().ToString("N"));
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    size += read;
                    if (size > MaxBytes)
                    {
                        throw new ImageTooLargeException(MaxBytes);
                    }

                    sha.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }

            return new StagedImage(temp, Convert.ToHexStringLower(sha.GetHashAndReset()), size, fileName);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Checks a staged file's format for its kind and keeps it under <paramref name="name"/>; the staged file is gone afterwards either way.</summary>
    public async Task<ServiceResult<ImageView>> CommitAsync(string? name, string? kind, StagedImage staged, string source, CancellationToken cancellationToken)
    {
        try
        {
            var errors = Validate(name, kind);
            if (staged.FileName is not null && !IsValidFileName(staged.FileName))
            {
                errors["file"] = ["The file name must be a plain name (letters, digits, '.', '_', '-', space), without folders."];
            }

            if (errors.Count > 0)
            {
                return ServiceResult<ImageView>.Invalid(errors);
            }

            if (staged.SizeBytes == 0)
            {
                return ServiceResult<ImageView>.Invalid("file", "The file is empty.");
            }

            var imageKind = ParseKind(kind)!.Value;
            var formatError = await CheckFormatAsync(staged.TempPath, imageKind, MaxBytes, cancellationToken).ConfigureAwait(false);
            if (formatError is not null)
            {
                return ServiceResult<ImageView>.Invalid("file", formatError);
            }

            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            if (await db.Images.AnyAsync(i => i.Name == name, cancellationToken).ConfigureAwait(false)
                || await db.Templates.AnyAsync(t => t.Image == name, cancellationToken).ConfigureAwait(false))
            {
                return ServiceResult<ImageView>.Conflict($"An image named '{name}' already exists.");
            }

            var target = PathOf(name!);
            File.Move(staged.TempPath, target, overwrite: true);
            var image = new ImageEntity
            {
                Name = name!,
                Kind = imageKind,
                Source = source.Length > 1024 ? source[..1024] : source,
                Sha256 = staged.Sha256,
                SizeBytes = staged.SizeBytes,
                CreatedAt = DateTime.UtcNow,
            };
            db.Images.Add(image);
            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DbUpdateException)
            {
                return ServiceResult<ImageView>.Conflict($"An image named '{name}' already exists.");
            }

            logger.LogInformation("Imported {Kind} image {Name} ({Size} bytes, sha256 {Sha})", imageKind, name, staged.SizeBytes, staged.Sha256);
            return ServiceResult<ImageView>.Ok(ToView(image));
        }
        finally
        {
            TryDelete(staged.TempPath);
        }
    }

    /// <summary>Imports a file under the import folder; anything outside it (by .., links or absolute paths) is refused.</summary>
    public async Task<ServiceResult<ImageView>> ImportFromPathAsync(ImportImageRequest request, CancellationToken cancellationToken)
    {
        var errors = Validate(request.Name, request.Kind);
        var root = ImportRoot;
        string? full = null;
        if (string.IsNullOrWhiteSpace(request.Path))
        {
            errors["path"] = ["A path is required (a file under the server's import folder)."];
        }
        else if (request.Path.Length > 1024 || request.Path.Contains('\0') || request.Path.Split('/', '\\').Contains(".."))
        {
            errors["path"] = ["The path must name a file under the server's import folder, without '..'."];
        }
        else
        {
            full = Path.GetFullPath(Path.IsPathRooted(request.Path) ? request.Path : Path.Combine(root, request.Path));
            var resolved = ResolveLinks(full);
            if (resolved is null || !IsUnder(resolved, ResolveLinks(root) ?? root) || !IsUnder(full, root))
            {
                errors["path"] = ["The path must name a file under the server's import folder."];
            }
            else if (!File.Exists(resolved))
            {
                errors["path"] = ["No such file in the server's import folder."];
            }
            else
            {
                full = resolved;
            }
        }

        if (errors.Count > 0)
        {
            return ServiceResult<ImageView>.Invalid(errors);
        }

        StagedImage staged;
        await using (var file = new FileStream(full!, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true))
        {
            staged = await StageAsync(file, null, cancellationToken).ConfigureAwait(false);
        }

        return await CommitAsync(request.Name, request.Kind, staged, "path:" + Path.GetRelativePath(root, full!), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ImageView>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var images = await db.Images.AsNoTracking().OrderBy(i => i.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. images.Select(ToView)];
    }

    public async Task<ImageView?> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (!IsValidName(name))
        {
            return null;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var image = await db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Name == name, cancellationToken).ConfigureAwait(false);
        return image is null ? null : ToView(image);
    }

    /// <summary>
    /// What uses each imported image: the templates made from it and how many machines (of any
    /// project) run from it or have it as their installer CD. A delete is refused while either is there.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, ImageUse>> UsesAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var names = await db.Images.AsNoTracking().Select(i => i.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        var templates = await db.Templates.AsNoTracking().Where(t => names.Contains(t.Image)).Select(t => new { t.Image, t.Name }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var machines = await db.Machines.IgnoreQueryFilters().AsNoTracking().Where(m => names.Contains(m.Image) || (m.Iso != null && names.Contains(m.Iso)))
            .Select(m => new { m.Image, m.Iso }).ToListAsync(cancellationToken).ConfigureAwait(false);
        return names.ToDictionary(n => n, n => new ImageUse(
            [.. templates.Where(t => t.Image == n).Select(t => t.Name).Order(StringComparer.Ordinal)],
            machines.Count(m => m.Image == n || m.Iso == n)), StringComparer.Ordinal);
    }

    /// <summary>
    /// Deletes an imported image and its file; refused (409, naming what) while a template or a
    /// machine of any project uses it. Hosts keep the copies they fetched until their machines go.
    /// </summary>
    public async Task<ServiceResult<ImageView>> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var image = IsValidName(name) ? await db.Images.FirstOrDefaultAsync(i => i.Name == name, cancellationToken).ConfigureAwait(false) : null;
        if (image is null)
        {
            return ServiceResult<ImageView>.NotFound("No such image.");
        }

        var templates = await db.Templates.Where(t => t.Image == name).Select(t => t.Name).OrderBy(n => n).Take(5).ToListAsync(cancellationToken).ConfigureAwait(false);
        var machines = await db.Machines.IgnoreQueryFilters().CountAsync(m => m.Image == name || m.Iso == name, cancellationToken).ConfigureAwait(false);
        if (templates.Count > 0 || machines > 0)
        {
            return ServiceResult<ImageView>.Conflict($"Image '{name}' is in use ("
                + string.Join("; ", new[] { templates.Count > 0 ? $"templates: {string.Join(", ", templates)}" : null, machines > 0 ? $"{machines} machine(s)" : null }.Where(x => x is not null))
                + "); delete those first.");
        }

        db.Images.Remove(image);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        File.Delete(PathOf(name));
        return ServiceResult<ImageView>.Ok(ToView(image));
    }

    /// <summary>Where an agent fetches an imported image, or null when <paramref name="image"/> is not one.</summary>
    public static async Task<ImageSource?> SourceForAsync(RingmasterDbContext db, string image, CancellationToken cancellationToken)
    {
        if (!IsValidName(image))
        {
            return null;
        }

        var entity = await db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Name == image, cancellationToken).ConfigureAwait(false);
        return entity?.Sha256 is { } sha ? new ImageSource(entity.Name, sha, entity.SizeBytes, $"/api/v1/images/{entity.Name}/content", entity.Kind) : null;
    }

    /// <summary>The stored file of an image (null when the name is not valid).</summary>
    public string? ContentPath(string name) => IsValidName(name) ? PathOf(name) : null;

    private string PathOf(string name)
    {
        Directory.CreateDirectory(ImagesPath);
        return Path.Combine(ImagesPath, name + ".image");
    }

    private static ImageView ToView(ImageEntity i) => new(i.Name, i.Kind, i.Source, i.Sha256, i.SizeBytes, Views.Utc(i.CreatedAt));

    /// <summary>
    /// A tarball (plain or gzip) with safe entry names; for VMs, the files of an emulator image at its
    /// top level. A gzip tarball is read through to its end, and may not expand past
    /// <paramref name="maxBytes"/> (the upload limit): a small bomb would otherwise be unpacked by
    /// every agent that imports it. Throws <see cref="ImageTooLargeException"/> then.
    /// </summary>
    private static async Task<string?> CheckFormatAsync(string path, ImageKind kind, long maxBytes, CancellationToken cancellationToken)
    {
        if (kind == ImageKind.Iso)
        {
            return await DiskImages.IsIsoAsync(path, cancellationToken).ConfigureAwait(false) ? null
                : $"This file is not an ISO image: an ISO 9660 image has the signature 'CD001' at byte {DiskImages.IsoSignatureOffset}, and this one has not.";
        }

        if (kind == ImageKind.Disk)
        {
            return DiskImages.Detect(path).Problem;
        }

        try
        {
            await using var file = File.OpenRead(path);
            var magic = new byte[2];
            var gzip = await file.ReadAsync(magic, cancellationToken).ConfigureAwait(false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
            file.Position = 0;
            // The expanded size is held to the upload limit and to what a real image ever expands to.
            var byRatio = Math.Max(ImageTooLargeException.RatioFloorBytes, file.Length * ImageTooLargeException.MaxRatio);
            var limit = Math.Min(maxBytes, byRatio);
            var reason = byRatio < maxBytes
                ? $"This image expands to more than {ImageTooLargeException.MaxRatio} times its {file.Length} bytes (past {limit / (1024 * 1024)} MiB): that is a compression bomb, not an image."
                : null;
            await using Stream data = gzip ? new ExpansionLimit(new GZipStream(file, CompressionMode.Decompress), limit, reason) : file;
            await using var tar = new TarReader(data);
            var entries = 0;
            var files = new HashSet<string>(StringComparer.Ordinal);
            while (await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                entries++;
                var entryName = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (entryName.StartsWith('/') || entryName.Split('/').Contains(".."))
                {
                    return $"The tarball has an entry outside its root ('{InputText.Clip(entry.Name, 64)}').";
                }

                if (kind == ImageKind.Vm && entryName.Length > 0 && entryName != ".")
                {
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !s_vmFiles.Contains(entryName))
                    {
                        return $"A VM image holds only {string.Join(", ", s_vmFiles)} at its top level; '{InputText.Clip(entry.Name, 64)}' is not one of them.";
                    }

                    files.Add(entryName);
                }
            }

            if (entries == 0)
            {
                return "The tarball is empty.";
            }

            // What follows the tarball's end marker expands too when the agent unpacks the file.
            if (gzip)
            {
                await data.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            }

            if (kind == ImageKind.Vm && (!files.Contains("fw_dynamic.bin") || !s_kernels.Any(files.Contains)))
            {
                return "A VM image needs fw_dynamic.bin and a kernel (Image.gz, Image or vmlinuz).";
            }

            return null;
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException)
        {
            return kind == ImageKind.Container
                ? "A container image is a root filesystem tarball (.tar or .tar.gz); this file is not one."
                : "A VM image is a tarball (.tar or .tar.gz) of the emulator's image files; this file is not one.";
        }
    }

    /// <summary>A decompressing stream that throws <see cref="ImageTooLargeException"/> once more than <c>limit</c> bytes came out of it.</summary>
    private sealed class ExpansionLimit(Stream inner, long limit, string? reason) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            return _read > limit ? throw new ImageTooLargeException(limit, expanded: true, reason) : read;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static string? ResolveLinks(string path)
    {
        try
        {
            var full = Path.GetFullPath(path);
            var parts = full.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
            var current = Path.GetPathRoot(full)!;
            foreach (var part in parts)
            {
                current = Path.Combine(current, part);
                var info = new FileInfo(current);
                if (info.LinkTarget is not null)
                {
                    current = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? current;
                }
            }

            return current;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool IsUnder(string path, string root)
    {
        var prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, StringComparison.Ordinal);
    }


    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
