using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>Bad input to the machines API: each a clear problem document, nothing half-created.</summary>
public sealed class MachinesApiTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<JsonElement> PostProblemAsync(object body, HttpStatusCode expected)
    {
        var response = await _client.PostAsJsonAsync("/api/v1/machines", body);
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.ReadJsonAsync();
    }

    private async Task AssertNoMachinesAsync()
    {
        var page = await (await _client.GetAsync("/api/v1/machines")).ReadJsonAsync();
        Assert.Equal(0, page.GetProperty("items").GetArrayLength());
        var operations = await (await _client.GetAsync("/api/v1/operations")).ReadJsonAsync();
        Assert.Equal(0, operations.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Create_UnknownTemplate_ValidationProblemNamesKnownTemplates()
    {
        var problem = await PostProblemAsync(new { name = "web-1", template = "windows-95" }, HttpStatusCode.BadRequest);

        var message = problem.GetProperty("errors").GetProperty("template")[0].GetString();
        Assert.Contains("Unknown template", message);
        Assert.Contains("busybox", message);
        await AssertNoMachinesAsync();
    }

    [Fact]
    public async Task Create_NegativeMemory_ValidationProblemOnMemoryField()
    {
        var problem = await PostProblemAsync(new { name = "web-1", template = "busybox", memoryMiB = -64 }, HttpStatusCode.BadRequest);

        Assert.Contains("Memory must be between", problem.GetProperty("errors").GetProperty("memoryMiB")[0].GetString());
        await AssertNoMachinesAsync();
    }

    [Fact]
    public async Task Create_TenKilobyteName_ValidationProblemWithoutEchoingIt()
    {
        var name = new string('a', 10 * 1024);
        var response = await _client.PostAsJsonAsync("/api/v1/machines", new { name, template = "busybox" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("name must be 1–63 characters", text);
        Assert.True(text.Length < 2048, "the problem document should not echo a 10 kB name");
        await AssertNoMachinesAsync();
    }

    [Fact]
    public async Task Create_MissingNameAndTemplate_BothFieldsReported()
    {
        var problem = await PostProblemAsync(new { vcpus = 2 }, HttpStatusCode.BadRequest);

        var errors = problem.GetProperty("errors");
        Assert.Equal("A name is required.", errors.GetProperty("name")[0].GetString());
        Assert.Equal("A template is required.", errors.GetProperty("template")[0].GetString());
    }

    [Theory]
    [InlineData("{\"name\": 1")]
    [InlineData("{\"name\": \"a\", \"template\": \"busybox\", \"memoryMiB\": \"lots\"}")]
    [InlineData("[1,2,3]")]
    public async Task Create_MalformedJson_ProblemNot500(string body)
    {
        var response = await _client.PostAsync("/api/v1/machines", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadJsonAsync();
        Assert.Equal("The request could not be read.", problem.GetProperty("title").GetString());
        await AssertNoMachinesAsync();
    }

    [Fact]
    public async Task Create_NoHostOnline_ServiceUnavailableProblemAndNothingCreated()
    {
        var problem = await PostProblemAsync(new { name = "web-1", template = "busybox" }, HttpStatusCode.ServiceUnavailable);

        Assert.Equal("No host is online.", problem.GetProperty("detail").GetString());
        await AssertNoMachinesAsync();
    }

    [Fact]
    public async Task Create_UnknownHost_ValidationProblemOnHost()
    {
        var problem = await PostProblemAsync(new { name = "web-1", template = "busybox", host = "nowhere" }, HttpStatusCode.BadRequest);

        Assert.Equal("Unknown host.", problem.GetProperty("errors").GetProperty("host")[0].GetString());
    }

    [Fact]
    public async Task Action_UnknownMachine_NotFoundProblem()
    {
        var response = await _client.PostAsync("/api/v1/machines/ghost/start", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("No such machine.", (await response.ReadJsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task GetOperation_Unknown_NotFoundProblem()
    {
        var response = await _client.GetAsync($"/api/v1/operations/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ListMachines_LimitOutOfRange_ValidationProblem()
    {
        var response = await _client.GetAsync("/api/v1/machines?limit=0");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("limit must be between 1 and", (await response.ReadJsonAsync()).GetProperty("errors").GetProperty("limit")[0].GetString());
    }

    [Fact]
    public async Task Templates_Listed_BuiltInCatalog()
    {
        var page = await (await _client.GetAsync("/api/v1/templates")).ReadJsonAsync();

        var names = page.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Equal(["busybox", "debian", "debian-12", "default", "x86-small"], names);
        var busybox = page.GetProperty("items")[0];
        Assert.Equal("container", busybox.GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, busybox.GetProperty("engine").ValueKind);
        var engines = page.GetProperty("items").EnumerateArray().Skip(1).Select(t => t.GetProperty("engine").GetString()).ToList();
        Assert.Equal(["emulator", "qemu", "emulator", "qemu"], engines);
    }

    [Fact]
    public async Task Health_ProcessUp_Ok()
    {
        var response = await _client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", (await response.ReadJsonAsync()).GetProperty("status").GetString());
    }
}
