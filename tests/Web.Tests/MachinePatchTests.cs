using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>PATCH /api/v1/machines/{id} under If-Match: names, labels and validation, on a machine in the inventory.</summary>
public sealed class MachinePatchTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private HttpClient _client = null!;
    private Guid _machineId;

    public async Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        var db = _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>();
        await using var context = await db.CreateDbContextAsync();
        var now = DateTime.UtcNow;
        var machine = new MachineEntity
        {
            Id = Guid.NewGuid(),
            Name = "patch-me",
            Kind = MachineKind.Container,
            Template = "busybox",
            Image = "ringmaster/busybox:latest",
            Spec = new MachineSpec(1, 64, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]),
            State = MachineState.Stopped,
            Labels = new Dictionary<string, string> { ["team"] = "a", ["tier"] = "web" },
            CreatedAt = now,
            UpdatedAt = now,
        };
        context.Machines.Add(machine);
        context.Machines.Add(new MachineEntity
        {
            Id = Guid.NewGuid(), Name = "taken", Kind = MachineKind.Container, Template = "busybox", Image = "x",
            Spec = machine.Spec, State = MachineState.Stopped, CreatedAt = now, UpdatedAt = now,
        });
        await context.SaveChangesAsync();
        _machineId = machine.Id;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<(JsonElement Machine, string ETag)> GetAsync(string idOrName = "patch-me")
    {
        var response = await _client.GetAsync($"/api/v1/machines/{idOrName}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(response.Headers.ETag);
        return (await response.ReadJsonAsync(), response.Headers.ETag!.ToString());
    }

    private async Task<HttpResponseMessage> PatchAsync(string body, string? ifMatch, string contentType = "application/merge-patch+json", string idOrName = "patch-me")
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/machines/{idOrName}") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await _client.SendAsync(request);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.ReadJsonAsync();
    }

    [Fact]
    public async Task Patch_NameAndLabels_200WithNewETagAndChangesKept()
    {
        var (_, etag) = await GetAsync();

        var response = await PatchAsync("""{"name": "patched", "labels": {"team": "b", "tier": null, "env": "prod"}}""", etag);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var newETag = response.Headers.ETag!.ToString();
        Assert.NotEqual(etag, newETag);
        var (machine, currentETag) = await GetAsync(_machineId.ToString());
        Assert.Equal(newETag, currentETag);
        Assert.Equal("patched", machine.GetProperty("name").GetString());
        var labels = machine.GetProperty("labels");
        Assert.Equal("b", labels.GetProperty("team").GetString());
        Assert.Equal("prod", labels.GetProperty("env").GetString());
        Assert.False(labels.TryGetProperty("tier", out _));
    }

    [Fact]
    public async Task List_ByLabel_FollowsEveryChangeOfTheLabels()
    {
        async Task<string[]> NamesAsync(string label) =>
            [.. (await (await _client.GetAsync($"/api/v1/machines?label={Uri.EscapeDataString(label)}")).ReadJsonAsync()).GetProperty("items").EnumerateArray().Select(m => m.GetProperty("name").GetString()!)];
        Assert.Equal(["patch-me"], await NamesAsync("tier=web"));
        Assert.Equal(["patch-me"], await NamesAsync("team"));

        var (_, etag) = await GetAsync();
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync("""{"labels": {"team": "b", "tier": null, "env": "prod"}}""", etag)).StatusCode);

        Assert.Empty(await NamesAsync("tier=web"));
        Assert.Empty(await NamesAsync("tier"));
        Assert.Empty(await NamesAsync("team=a"));
        Assert.Equal(["patch-me"], await NamesAsync("team=b"));
        Assert.Equal(["patch-me"], await NamesAsync("env=prod"));
        Assert.Equal(["patch-me"], await NamesAsync("env"));
    }

    [Fact]
    public async Task Patch_WithoutIfMatch_428AndNothingChanged()
    {
        var problem = await ProblemAsync(await PatchAsync("""{"name": "other"}""", null), (HttpStatusCode)428);

        Assert.Contains("If-Match", problem.GetProperty("detail").GetString());
        Assert.Equal("patch-me", (await GetAsync()).Machine.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Patch_StaleETag_412AndSecondWriterDoesNotOverwrite()
    {
        var (_, etag) = await GetAsync();
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync("""{"labels": {"team": "first"}}""", etag)).StatusCode);

        var problem = await ProblemAsync(await PatchAsync("""{"labels": {"team": "second"}}""", etag), HttpStatusCode.PreconditionFailed);

        Assert.Contains("changed since", problem.GetProperty("detail").GetString());
        Assert.Equal("first", (await GetAsync()).Machine.GetProperty("labels").GetProperty("team").GetString());
    }

    [Fact]
    public async Task Patch_IfMatchStar_AppliesToCurrentVersion()
    {
        var response = await PatchAsync("""{"labels": null}""", "*", "application/json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty((await GetAsync()).Machine.GetProperty("labels").EnumerateObject());
    }

    [Fact]
    public async Task Patch_NothingChanges_SameETag()
    {
        var (_, etag) = await GetAsync();

        var response = await PatchAsync("""{"name": "patch-me"}""", etag);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(etag, response.Headers.ETag!.ToString());
    }

    [Fact]
    public async Task Patch_InvalidValues_FieldLevelProblemAndNothingChanged()
    {
        var (before, etag) = await GetAsync();

        var problem = await ProblemAsync(
            await PatchAsync("""{"name": "Not Valid!", "spec": {"vcpus": 0, "memoryMiB": "lots", "disks": []}, "state": "Running", "colour": "red", "labels": {"ok": 5}}""", etag),
            HttpStatusCode.BadRequest);

        var errors = problem.GetProperty("errors");
        Assert.Contains("read-only", errors.GetProperty("state")[0].GetString());
        Assert.Contains("Unknown field", errors.GetProperty("colour")[0].GetString());
        Assert.Contains("whole number", errors.GetProperty("spec.memoryMiB")[0].GetString());
        Assert.Contains("Only vcpus, memoryMiB and diskGiB", errors.GetProperty("spec.disks")[0].GetString());
        Assert.Contains("must be strings", errors.GetProperty("labels")[0].GetString());
        var (after, afterETag) = await GetAsync();
        Assert.Equal(etag, afterETag);
        Assert.Equal(before.GetProperty("labels").ToString(), after.GetProperty("labels").ToString());
    }

    [Fact]
    public async Task Patch_ValuesOutOfRange_ValidatedLikeCreate()
    {
        var (_, etag) = await GetAsync();

        var problem = await ProblemAsync(await PatchAsync("""{"name": "Not Valid!", "spec": {"vcpus": 0, "memoryMiB": 1, "diskGiB": 0}}""", etag), HttpStatusCode.BadRequest);

        var errors = problem.GetProperty("errors");
        Assert.Contains("The name must be", errors.GetProperty("name")[0].GetString());
        Assert.Contains("vCPUs must be between", errors.GetProperty("spec.vcpus")[0].GetString());
        Assert.Contains("Memory must be between", errors.GetProperty("spec.memoryMiB")[0].GetString());
        Assert.Contains("The disk must be between", errors.GetProperty("spec.diskGiB")[0].GetString());
    }

    [Fact]
    public async Task Patch_NameTaken_409()
    {
        var (_, etag) = await GetAsync();

        var problem = await ProblemAsync(await PatchAsync("""{"name": "taken"}""", etag), HttpStatusCode.Conflict);

        Assert.Contains("already exists", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Patch_SpecWithoutHost_409SaysHostOffline()
    {
        var (_, etag) = await GetAsync();

        var problem = await ProblemAsync(await PatchAsync("""{"spec": {"memoryMiB": 128}}""", etag), HttpStatusCode.Conflict);

        Assert.Contains("host is offline", problem.GetProperty("detail").GetString());
        Assert.Equal(64, (await GetAsync()).Machine.GetProperty("spec").GetProperty("memoryMiB").GetInt32());
    }

    [Theory]
    [InlineData("text/plain", "{\"name\": \"x\"}", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/merge-patch+json", "{\"name\": ", HttpStatusCode.BadRequest)]
    [InlineData("application/merge-patch+json", "[1, 2]", HttpStatusCode.BadRequest)]
    [InlineData("application/merge-patch+json", "{\"name\": \"half\\uD800\"}", HttpStatusCode.BadRequest)]
    [InlineData("application/merge-patch+json", "{\"labels\": {\"\\uDC00\": \"x\"}}", HttpStatusCode.BadRequest)]
    [InlineData("application/merge-patch+json; charset=utf-99", "{\"name\": \"x\"}", HttpStatusCode.UnsupportedMediaType)]
    public async Task Patch_UnreadableBody_Problem(string contentType, string body, HttpStatusCode expected)
    {
        var (_, etag) = await GetAsync();

        await ProblemAsync(await PatchAsync(body, etag, contentType), expected);
    }

    [Fact]
    public async Task Patch_HugeBody_413()
    {
        var (_, etag) = await GetAsync();
        var body = "{\"labels\": {\"a\": \"" + new string('x', 100_000) + "\"}}";

        await ProblemAsync(await PatchAsync(body, etag), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Patch_UnknownMachine_404()
    {
        await ProblemAsync(await PatchAsync("""{"name": "x"}""", "\"0\"", idOrName: "no-such-machine"), HttpStatusCode.NotFound);
    }
}
