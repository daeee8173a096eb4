using System.Text.Json;
using Ringmaster.Shared;

namespace Ringmaster.Agents.Tests;

/// <summary>
/// The agent and the CLI reference only the contracts: no database, identity or scripting engine ships
/// with them. Read from what restore resolved for each project (what <c>dotnet list package
/// --include-transitive</c> shows), so a reference added anywhere below them is caught.
/// </summary>
public sealed class DependencyTests
{
    private static readonly string[] s_forbidden =
        ["Ringmaster.Core", "Microsoft.EntityFrameworkCore", "Microsoft.AspNetCore.Identity", "Microsoft.Extensions.Identity", "Npgsql", "Jint"];

    [Theory]
    [InlineData("src/Agents")]
    [InlineData("src/Cli")]
    public void TheAgentAndTheCli_ReachOnlyTheContracts_NeverTheStoreIdentityOrScripts(string project)
    {
        var assets = Path.Combine(SourceCheckout.Root!, project, "obj", "project.assets.json");
        using var document = JsonDocument.Parse(File.ReadAllText(assets));
        var libraries = document.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name.Split('/')[0]).ToList();

        Assert.Contains("Ringmaster.Contracts", libraries);
        Assert.DoesNotContain(libraries, name => s_forbidden.Any(f => name.StartsWith(f, StringComparison.OrdinalIgnoreCase)));
    }
}
