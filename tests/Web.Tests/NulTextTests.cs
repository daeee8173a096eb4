using System.Net;
using System.Text;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// Text with a NUL character is refused as the request is read, on SQLite as on PostgreSQL (which
/// cannot keep it): a 400 naming the field or the query, and nothing stored. Before, SQLite kept it and
/// PostgreSQL answered 400 only when the database refused the write.
/// </summary>
public sealed class NulTextTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static async Task<JsonElement> NulProblemAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal("The request holds text that cannot be stored.", problem.GetProperty("title").GetString());
        return problem;
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string json) =>
        await _client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    [Theory]
    [InlineData("""{"name": "nul-label", "template": "busybox", "labels": {"tier": "a\u0000b"}}""", "labels")]
    [InlineData("""{"name": "nul-key", "template": "busybox", "labels": {"ti\u0000er": "web"}}""", "labels")]
    [InlineData("""{"name": "nul-\u0000name", "template": "busybox"}""", "name")]
    public async Task CreateMachine_NulInAValueOrAKey_400NamingTheFieldAndNothingMade(string body, string field)
    {
        var problem = await NulProblemAsync(await PostAsync("/api/v1/machines", body));

        var named = problem.GetProperty("errors").EnumerateObject().Where(e => e.Name.StartsWith(field, StringComparison.Ordinal)).ToList();
        Assert.True(named.Count == 1, $"the problem should name '{field}': {problem}");
        Assert.Contains("NUL", named[0].Value[0].GetString(), StringComparison.Ordinal);
        var machines = await (await _client.GetAsync("/api/v1/machines")).ReadJsonAsync();
        Assert.Equal(0, machines.GetProperty("items").GetArrayLength());
        var operations = await (await _client.GetAsync("/api/v1/operations")).ReadJsonAsync();
        Assert.Equal(0, operations.GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData("/api/v1/machines?q=a%00b")]
    [InlineData("/api/v1/machines?label=tier%3Da%00b")]
    [InlineData("/api/v1/operations?q=%00")]
    [InlineData("/api/v1/audit?user=%00")]
    public async Task Read_NulInTheQuery_400SayingWhatToRemove(string path)
    {
        var problem = await NulProblemAsync(await _client.GetAsync(path));

        Assert.Contains("NUL", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImportImage_NulInThePath_400NamingTheFieldAndNoImage()
    {
        var before = await _client.GetStringAsync("/api/v1/images");

        var problem = await NulProblemAsync(await PostAsync("/api/v1/images", """{"name": "nul-image", "kind": "rootfs", "path": "/tmp/a\u0000b.tar"}"""));

        Assert.True(problem.GetProperty("errors").TryGetProperty("path", out _), problem.ToString());
        Assert.Equal(before, await _client.GetStringAsync("/api/v1/images"));
    }
}
