using Ringmaster.Contracts;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>Operations and the event stream of another project's machines are hidden like the machines themselves.</summary>
public sealed class ProjectScopeTests(AccessFixture fixture) : IClassFixture<AccessFixture>
{
    private async Task<(Guid Alpha, Guid Beta)> SeedOperationsAsync()
    {
        await using var db = await fixture.Factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        var alpha = await db.Machines.SingleAsync(m => m.Name == "alpha-1");
        var beta = await db.Machines.SingleAsync(m => m.Name == "beta-1");
        var onAlpha = OperationService.New(OperationKind.MachineStop, alpha.Id, alpha.Name, "ada", alpha.Project);
        var onBeta = OperationService.New(OperationKind.MachineStop, beta.Id, beta.Name, "ada", beta.Project);
        onAlpha.State = onBeta.State = OperationStatus.Succeeded;
        db.Operations.AddRange(onAlpha, onBeta);
        await db.SaveChangesAsync();
        return (onAlpha.Id, onBeta.Id);
    }

    [Fact]
    public async Task Operations_OfAnotherProjectsMachine_HiddenAnd404()
    {
        var (alpha, beta) = await SeedOperationsAsync();
        using var otto = fixture.As("otto");

        var ids = (await otto.GetFromJsonAsync<JsonElement>("/api/v1/operations?limit=1000")).GetProperty("items").EnumerateArray().Select(o => o.GetProperty("id").GetGuid()).ToList();
        Assert.Contains(alpha, ids);
        Assert.DoesNotContain(beta, ids);
        Assert.Equal(HttpStatusCode.OK, (await otto.GetAsync($"/api/v1/operations/{alpha}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otto.GetAsync($"/api/v1/operations/{beta}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Admin.GetAsync($"/api/v1/operations/{beta}")).StatusCode);
    }

    [Fact]
    public async Task Events_OfAnotherProjectsMachine_NotStreamed()
    {
        using var otto = fixture.As("otto");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await otto.GetAsync("/api/v1/events?types=machine", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
        Assert.Equal("event: ready", await reader.ReadLineAsync(cancel.Token));

        await using (var db = await fixture.Factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync())
        {
            var feed = fixture.Factory.Services.GetRequiredService<LiveFeed>();
            // beta first: if it leaked it would arrive before alpha.
            feed.Publish(new MachineChanged((await db.Machines.SingleAsync(m => m.Name == "beta-1")).ToView(null)));
            feed.Publish(new MachineChanged((await db.Machines.SingleAsync(m => m.Name == "alpha-1")).ToView(null)));
        }

        var seen = new List<string>();
        while (await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal) && line.Contains("\"name\"", StringComparison.Ordinal))
            {
                seen.Add(JsonDocument.Parse(line["data: ".Length..]).RootElement.GetProperty("name").GetString()!);
                break;
            }
        }

        Assert.Equal(["alpha-1"], seen);
    }
}
