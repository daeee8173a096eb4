using System.Net;
using System.Net.Http.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>A retried create with the same Idempotency-Key does not make two machines.</summary>
public sealed class IdempotencyTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new() { Embedded = true };
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = _factory.StartKestrel();
        await HttpJson.EventuallyAsync(() => _client.GetAsync("/readyz"), r => r.IsSuccessStatusCode, TimeSpan.FromSeconds(30), "readiness");
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private Task<HttpResponseMessage> PostAsync(string key, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/machines") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return _client.SendAsync(request);
    }

    [Fact]
    public async Task Create_RetriedWithSameKey_OneMachineSameOperation()
    {
        var body = new { name = "idem-1", template = "default", start = false };

        var first = await PostAsync("retry-me-1", body);
        var second = await PostAsync("retry-me-1", body);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        var a = await first.ReadJsonAsync();
        var b = await second.ReadJsonAsync();
        Assert.Equal(a.GetProperty("operation").GetProperty("id").GetGuid(), b.GetProperty("operation").GetProperty("id").GetGuid());
        var machines = await (await _client.GetAsync("/api/v1/machines")).ReadJsonAsync();
        Assert.Equal(1, machines.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Create_SameKeyDifferentRequest_Unprocessable()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("reused-key", new { name = "idem-2", template = "default", start = false })).StatusCode);

        var response = await PostAsync("reused-key", new { name = "idem-3", template = "default", start = false });

        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        Assert.Contains("already used for a different request", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Create_KeyWithSpaces_ValidationProblem()
    {
        var response = await PostAsync("not a key", new { name = "idem-4", template = "default", start = false });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, (await (await _client.GetAsync("/api/v1/machines")).ReadJsonAsync()).GetProperty("items").GetArrayLength());
    }
}
