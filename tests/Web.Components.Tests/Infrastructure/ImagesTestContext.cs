using System.Formats.Tar;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Ringmaster.Core;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>
/// The Images page against the product's own <see cref="ImageService"/> and <see cref="CatalogService"/>
/// on a real SQLite store and a data folder of its own, with "admin" signed in: uploads are checked
/// and kept as the REST API keeps them.
/// </summary>
public abstract class ImagesTestContext : AdminTestContext
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"ringmaster-images-{Guid.NewGuid():N}");

    protected ImagesTestContext()
    {
        Directory.CreateDirectory(_data);
        Services.AddSingleton(Options.Create(new RingmasterOptions { Data = _data }));
        Services.AddSingleton(Options.Create(new ImageOptions()));
        Services.AddSingleton<ImageService>();
        Services.AddSingleton<CatalogService>();
        Services.AddScoped<ImageActions>();
    }

    /// <summary>The files the server keeps for images, staging included (what a refused upload must not leave behind).</summary>
    protected IReadOnlyList<string> ImageFiles()
    {
        var folder = Path.Combine(_data, "images");
        return Directory.Exists(folder) ? [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal)] : [];
    }

    protected void AddImage(string name, ImageKind kind, long size = 1 << 20)
    {
        using var db = Db();
        db.Images.Add(new ImageEntity { Name = name, Kind = kind, Source = "upload:" + name, SizeBytes = size, CreatedAt = DateTime.UtcNow });
        db.SaveChanges();
    }

    protected void AddTemplate(string name, string image, MachineKind kind = MachineKind.Container)
    {
        using var db = Db();
        db.Templates.Add(new TemplateEntity { Name = name, Kind = kind, Image = image, Description = $"From image {image}.", Vcpus = 1, MemoryMiB = 64, DiskGiB = 1 });
        db.SaveChanges();
    }

    /// <summary>A root filesystem tarball: <c>etc/hostname</c> and a file of <paramref name="padding"/> bytes.</summary>
    protected static byte[] RootfsTar(int padding = 0)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "etc/"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/hostname") { DataStream = new MemoryStream("rootfs\n"u8.ToArray()) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "var/blob") { DataStream = new MemoryStream(new byte[padding]) });
        }

        return tar.ToArray();
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        Directory.Delete(_data, recursive: true);
    }
}
