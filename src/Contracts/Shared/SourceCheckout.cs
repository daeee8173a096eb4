namespace Ringmaster.Shared;

/// <summary>Where the repository is when Ringmaster runs from a source checkout (Console.sln above the program).</summary>
public static class SourceCheckout
{
    private static readonly Lazy<string?> s_root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Console.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    });

    /// <summary>The repository's root folder, or null when running from an installed copy.</summary>
    public static string? Root => s_root.Value;
}
