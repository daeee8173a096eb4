using System.Net;
using System.Text;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>Malformed and hostile input to every endpoint: always a 4xx problem document, never a 5xx, and nothing changes.</summary>
public sealed class RobustnessTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static readonly string[] s_hostileIds =
    [
        "..%2F..%2Fetc%2Fpasswd", "' OR 1=1 --", "%E2%80%AE%F0%9F%92%A9", new string('x', 4000), "00000000-0000-0000-0000-000000000000", "-1",
    ];

    private static readonly string[] s_hostileBodies =
    [
        "", "null", "[]", "\"text\"", "{", "{\"name\":", "{\"name\": {\"$gt\": \"\"}, \"template\": [1]}",
        "{\"name\": \"a\", \"template\": \"busybox\", \"vcpus\": 99999999999999999999}",
        "{\"name\": \"../../etc\", \"template\": \"../../images\"}",
        "{\"name\": \"\\u202eevil\", \"template\": \"busybox\"}",
        "{\"name\": \"a\", \"template\": \"busybox\", \"labels\": {\"\": \"x\"}}",
        "{\"name\": \"a\", \"template\": \"busybox\", \"labels\": [1, 2]}",
        "{\"name\": \"a\", \"template\": \"busybox\", \"start\": \"yes\"}",
    ];

    private async Task AssertClientErrorAsync(HttpResponseMessage response, string what)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status is >= 400 and < 500, $"{what}: {status} {body}");
        if (response.Content.Headers.ContentLength is > 0 || body.Length > 0)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    private async Task<string> InventoryAsync() =>
        await _client.GetStringAsync("/api/v1/machines") + await _client.GetStringAsync("/api/v1/operations") + await _client.GetStringAsync("/api/v1/hosts");

    [Fact]
    public async Task HostileIds_EveryMachineAndOperationRoute_ClientErrorAndNothingChanges()
    {
        var before = await InventoryAsync();
        foreach (var id in s_hostileIds)
        {
            await AssertClientErrorAsync(await _client.GetAsync($"/api/v1/machines/{id}"), $"GET machine {id[..Math.Min(id.Length, 20)]}");
            await AssertClientErrorAsync(await _client.DeleteAsync($"/api/v1/machines/{id}"), "DELETE machine");
            foreach (var action in new[] { "start", "stop", "../../start", "%2e%2e", "reboot-now" })
            {
                await AssertClientErrorAsync(await _client.PostAsync($"/api/v1/machines/{id}/{action}", null), $"POST {action}");
            }

            await AssertClientErrorAsync(await _client.GetAsync($"/api/v1/hosts/{id}"), "GET host");
            await AssertClientErrorAsync(await _client.GetAsync($"/api/v1/operations/{id}"), "GET operation");
            await AssertClientErrorAsync(await _client.PostAsync($"/api/v1/operations/{id}/cancel", null), "cancel operation");
            await AssertClientErrorAsync(await _client.GetAsync($"/api/v1/machines/{id}/console"), "console");
        }

        Assert.Equal(before, await InventoryAsync());
    }

    [Fact]
    public async Task HostileBodies_CreateMachine_ClientErrorAndNothingChanges()
    {
        var before = await InventoryAsync();
        foreach (var body in s_hostileBodies)
        {
            var response = await _client.PostAsync("/api/v1/machines", new StringContent(body, Encoding.UTF8, "application/json"));
            await AssertClientErrorAsync(response, $"body {body}");
        }

        var wrongType = await _client.PostAsync("/api/v1/machines", new StringContent("name=a&template=busybox", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await AssertClientErrorAsync(wrongType, "form body");
        var huge = await _client.PostAsync("/api/v1/machines", new StringContent("{\"name\": \"" + new string('a', 5_000_000) + "\", \"template\": \"busybox\"}", Encoding.UTF8, "application/json"));
        await AssertClientErrorAsync(huge, "5 MB body");
        Assert.Equal(before, await InventoryAsync());
    }

    [Theory]
    [InlineData("/api/v1/tokens")]
    [InlineData("/api/v1/machines")]
    [InlineData("/api/v1/projects")]
    public async Task UnknownCharset_415ProblemSaysSendUtf8(string path)
    {
        var content = new StringContent("{\"name\": \"x\"}", Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-99" };

        var response = await _client.PostAsync(path, content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("charset 'utf-99' is not one this server reads; send UTF-8", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/api/v1/machines?limit=abc")]
    [InlineData("/api/v1/machines?limit=-1")]
    [InlineData("/api/v1/machines?limit=100000")]
    [InlineData("/api/v1/machines?cursor=%%%")]
    [InlineData("/api/v1/machines?cursor=bm90LWEtY3Vyc29y!")]
    [InlineData("/api/v1/machines?state=Exploded")]
    [InlineData("/api/v1/machines?kind=mainframe")]
    [InlineData("/api/v1/operations?state=Exploded")]
    [InlineData("/api/v1/operations?cursor=YWJj")]
    [InlineData("/api/v1/operations?limit=0")]
    [InlineData("/api/v1/events?types=;DROP")]
    [InlineData("/api/v1/operations/not-a-guid/wait")]
    public async Task HostileQueries_ClientError(string url)
    {
        await AssertClientErrorAsync(await _client.GetAsync(url), url);
    }

    [Fact]
    public async Task HostileInput_PatchMachineAndImagesAndTemplates_ClientErrorAndNothingChanges()
    {
        var before = await InventoryAsync() + await _client.GetStringAsync("/api/v1/images") + await _client.GetStringAsync("/api/v1/templates");
        foreach (var id in s_hostileIds)
        {
            foreach (var body in s_hostileBodies)
            {
                using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/machines/{id}") { Content = new StringContent(body, Encoding.UTF8, "application/merge-patch+json") };
                patch.Headers.TryAddWithoutValidation("If-Match", "*");
                await AssertClientErrorAsync(await _client.SendAsync(patch), $"PATCH machine with {body}");
            }

            await AssertClientErrorAsync(await _client.GetAsync($"/api/v1/images/{id}"), "GET image");
            await AssertClientErrorAsync(await _client.GetAsync($"/api/v1/images/{id}/content"), "GET image content");
        }

        foreach (var body in s_hostileBodies)
        {
            await AssertClientErrorAsync(await _client.PostAsync("/api/v1/images", new StringContent(body, Encoding.UTF8, "application/json")), $"POST image {body}");
            await AssertClientErrorAsync(await _client.PostAsync("/api/v1/templates", new StringContent(body, Encoding.UTF8, "application/json")), $"POST template {body}");
        }

        foreach (var (name, kind, path) in new[]
        {
            ("../../etc", "container", "x.tar"), ("ok", "container", "../../../etc/passwd"), ("ok", "container", "/etc/shadow"),
            ("ok", "mainframe", "x.tar"), ("\u202eevil", "vm", "x.tar"), (new string('a', 5000), "vm", "x.tar"), ("ok", "vm", "%2e%2e/%2e%2e/x"),
        })
        {
            var json = $"{{\"name\": \"{name}\", \"kind\": \"{kind}\", \"path\": \"{path}\"}}";
            await AssertClientErrorAsync(await _client.PostAsync("/api/v1/images", new StringContent(json, Encoding.UTF8, "application/json")), $"import {json[..Math.Min(json.Length, 80)]}");
        }

        foreach (var fileName in new[] { "../../x.tar", "/etc/passwd", "a/b.tar", "..", "evil\u202e.tar" })
        {
            using var form = new MultipartFormDataContent
            {
                { new StringContent("fine"), "name" },
                { new StringContent("container"), "kind" },
                { new ByteArrayContent(Encoding.UTF8.GetBytes("not a tarball")), "file", fileName },
            };
            await AssertClientErrorAsync(await _client.PostAsync("/api/v1/images", form), $"upload named {fileName}");
        }

        var wrongType = await _client.PostAsync("/api/v1/images", new StringContent("name=a", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await AssertClientErrorAsync(wrongType, "form-urlencoded image");
        Assert.Equal(before, await InventoryAsync() + await _client.GetStringAsync("/api/v1/images") + await _client.GetStringAsync("/api/v1/templates"));
    }

    [Fact]
    public async Task UnknownOperation_Cancel_NotFound()
    {
        var response = await _client.PostAsync($"/api/v1/operations/{Guid.NewGuid()}/cancel", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
