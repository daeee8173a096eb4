using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>The web root the dashboard asks which built-in browser libraries exist: only the paths a test adds.</summary>
public sealed class FakeWebRoot : IFileProvider
{
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);

    public void Add(string path) => _files.Add(path.TrimStart('/'));

    public IFileInfo GetFileInfo(string subpath) =>
        _files.Contains(subpath.TrimStart('/')) ? new Present(subpath) : new NotFoundFileInfo(subpath);

    public IDirectoryContents GetDirectoryContents(string subpath) => NotFoundDirectoryContents.Singleton;

    public IChangeToken Watch(string filter) => NullChangeToken.Singleton;

    private sealed class Present(string path) : IFileInfo
    {
        public bool Exists => true;
        public long Length => 0;
        public string? PhysicalPath => null;
        public string Name => Path.GetFileName(path);
        public DateTimeOffset LastModified => DateTimeOffset.UnixEpoch;
        public bool IsDirectory => false;
        public Stream CreateReadStream() => new MemoryStream();
    }
}
