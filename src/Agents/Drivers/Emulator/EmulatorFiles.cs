using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>The names of a VM's files and how they are read and written (whole, through a temporary name).</summary>
internal static class EmulatorFiles
{
    public const string DefinitionFile = "machine.json";
    public const string DiskFile = "disk.img";
    public const string DiskStateFile = "disk.json";
    public const string SnapshotsFile = "snapshots.json";
    public const string ResumeStateFile = "resume.state";
    public const string SnapshotsFolder = "snapshots";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static T? ReadJson<T>(string file)
        where T : class
    {
        try
        {
            return File.Exists(file) ? JsonSerializer.Deserialize<T>(File.ReadAllText(file), Json) : null;
        }
        catch (JsonException ex)
        {
            throw new GuestException($"'{file}' is damaged: {ex.Message}", ex);
        }
    }

    public static void WriteJson<T>(string file, T value)
    {
        var temp = file + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(value, Json));
        File.Move(temp, file, overwrite: true);
    }

    public static void TryDeleteFile(string file, ILogger logger)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException ex)
        {
            logger.LogWarning("Could not delete {File}: {Reason}", file, ex.Message);
        }
    }

    public static void TryDeleteFolder(string folder, ILogger logger) => Common.GuestFolders.TryDelete(folder, logger);
}
