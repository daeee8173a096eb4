using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>What scripts lean on: the event stream, waiting for an operation, and the OpenAPI document.</summary>
public sealed class AutomationApiTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<OperationEntity> SeedRunningOperationAsync()
    {
        var db = _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>();
        await using var context = await db.CreateDbContextAsync();
        var operation = OperationService.New(OperationKind.BackupVerify, null, "target", "tester", "default");
        operation.State = OperationStatus.Running;
        context.Operations.Add(operation);
        await context.SaveChangesAsync();
        return operation;
    }

    private async Task FinishAsync(Guid id)
    {
        var db = _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>();
        await using var context = await db.CreateDbContextAsync();
        var operation = await context.Operations.SingleAsync(o => o.Id == id);
        operation.State = OperationStatus.Succeeded;
        operation.Progress = 100;
        await context.SaveChangesAsync();
        _factory.Services.GetRequiredService<LiveFeed>().Publish(new OperationChanged(operation.ToView()));
    }

    [Fact]
    public async Task Wait_OperationEndsLater_AnswersWhenItEnds()
    {
        var operation = await SeedRunningOperationAsync();

        var waiting = _client.GetAsync($"/api/v1/operations/{operation.Id}/wait?timeout=30");
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted, "wait must not answer while the operation runs");
        await FinishAsync(operation.Id);
        var response = await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Succeeded", (await response.ReadJsonAsync()).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Wait_OperationAlreadyEnded_AnswersOkEveryTime()
    {
        var operation = await SeedRunningOperationAsync();
        await FinishAsync(operation.Id);

        for (var i = 0; i < 50; i++)
        {
            var response = await _client.GetAsync($"/api/v1/operations/{operation.Id}/wait?timeout=30");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Succeeded", (await response.ReadJsonAsync()).GetProperty("state").GetString());
        }
    }

    [Fact]
    public async Task Wait_UnknownOperation_NotFoundEveryTime()
    {
        for (var i = 0; i < 20; i++)
        {
            var response = await _client.GetAsync($"/api/v1/operations/{Guid.NewGuid()}/wait?timeout=30");

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Wait_Timeout_AnswersWithCurrentState()
    {
        var operation = await SeedRunningOperationAsync();

        var response = await _client.GetAsync($"/api/v1/operations/{operation.Id}/wait?timeout=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Running", (await response.ReadJsonAsync()).GetProperty("state").GetString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(301)]
    public async Task Wait_TimeoutOutOfRange_ValidationProblem(int timeout)
    {
        var response = await _client.GetAsync($"/api/v1/operations/{Guid.NewGuid()}/wait?timeout={timeout}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Events_OperationChanges_StreamedAsServerSentEvents()
    {
        var operation = await SeedRunningOperationAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events?types=operation");
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("event: ready", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));

        await FinishAsync(operation.Id);
        string? line;
        do
        {
            line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        while (line is not null && !line.StartsWith("event: operation.changed", StringComparison.Ordinal));
        var data = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.NotNull(data);
        var json = JsonDocument.Parse(data["data: ".Length..]).RootElement;
        Assert.Equal(operation.Id, json.GetProperty("id").GetGuid());
        Assert.Equal("Succeeded", json.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Events_UnknownType_ValidationProblem()
    {
        var response = await _client.GetAsync("/api/v1/events?types=weather");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Unknown event type 'weather'", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OpenApi_Document_ListsEveryApiEndpoint()
    {
        var document = await (await _client.GetAsync("/openapi/v1.json")).ReadJsonAsync();

        Assert.StartsWith("3.1", document.GetProperty("openapi").GetString());
        var paths = document.GetProperty("paths").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateObject().Select(o => o.Name.ToUpperInvariant()).ToHashSet());
        var endpoints = _factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true).ToList();
        Assert.True(endpoints.Count >= 12, $"expected the API's endpoints, found {endpoints.Count}");
        foreach (var endpoint in endpoints)
        {
            var path = "/" + string.Join('/', endpoint.RoutePattern.RawText!.Trim('/').Split('/').Select(s => s.Contains(':', StringComparison.Ordinal) ? s[..s.IndexOf(':', StringComparison.Ordinal)] + "}" : s));
            path = path.TrimEnd('/');
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            {
                Assert.True(paths.TryGetValue(path, out var methods) && methods.Contains(method), $"{method} {path} is missing from the OpenAPI document");
            }
        }
    }

    [Fact]
    public async Task ApiDocs_Reader_Served()
    {
        var response = await _client.GetAsync("/api/docs");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Ringmaster API", await response.Content.ReadAsStringAsync());
    }
}
