using Microsoft.Extensions.FileProviders;

namespace Ringmaster.Web.Services;

/// <summary>
/// The browser libraries the build put in wwwroot. They come from npm at build time and a build
/// without npm leaves them out, so a page that fails to load one asks here whether it was ever
/// built in (nothing to retry) or failed on the way (retry).
/// </summary>
public sealed class ClientLibraries(IFileProvider webRoot)
{
    /// <summary>noVNC's entry module under wwwroot, the one vnc.js imports.</summary>
    public const string NoVncModule = "lib/novnc/core/rfb.js";

    /// <summary>Whether noVNC is built in (asked each time: a rebuild can add it under a running app).</summary>
    public bool NoVnc => webRoot.GetFileInfo(NoVncModule).Exists;
}
