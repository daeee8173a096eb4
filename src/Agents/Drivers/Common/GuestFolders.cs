using Microsoft.Extensions.Logging;

namespace Ringmaster.Agents.Drivers.Common;

/// <summary>A guest's folder on the agent (an emulator or QEMU VM's): removed whole, and a failure logged rather than thrown.</summary>
public static class GuestFolders
{
    /// <summary>Deletes <paramref name="folder"/> and everything in it, when it exists; logs when it cannot.</summary>
    public static void TryDelete(string folder, ILogger logger)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException ex)
        {
            logger.LogWarning("Could not delete {Folder}: {Reason}", folder, ex.Message);
        }
    }
}
