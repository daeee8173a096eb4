using System.Net;
using System.Net.Http.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>
/// Each role × each action, with the status each gets: Admin everything, Operator machines of its
/// projects, Viewer reads only; another project's machine is 404 (not 403) to those outside it.
/// </summary>
public sealed class PermissionMatrixTests(AccessFixture fixture) : IClassFixture<AccessFixture>
{
    public static TheoryData<string, string, string, object?, HttpStatusCode> Matrix => new()
    {
        // machines: list and read
        { "ada", "GET", "/api/v1/machines", null, HttpStatusCode.OK },
        { "otto", "GET", "/api/v1/machines", null, HttpStatusCode.OK },
        { "vic", "GET", "/api/v1/machines", null, HttpStatusCode.OK },
        { "ada", "GET", "/api/v1/machines/alpha-1", null, HttpStatusCode.OK },
        { "otto", "GET", "/api/v1/machines/alpha-1", null, HttpStatusCode.OK },
        { "vic", "GET", "/api/v1/machines/alpha-1", null, HttpStatusCode.OK },
        { "ada", "GET", "/api/v1/machines/beta-1", null, HttpStatusCode.OK },
        { "otto", "GET", "/api/v1/machines/beta-1", null, HttpStatusCode.NotFound },
        { "vic", "GET", "/api/v1/machines/beta-1", null, HttpStatusCode.NotFound },
        // create: allowed ones get as far as placement (no host is online here)
        { "ada", "POST", "/api/v1/machines", new { name = "new-ada", template = "busybox", project = "alpha" }, HttpStatusCode.ServiceUnavailable },
        { "otto", "POST", "/api/v1/machines", new { name = "new-otto", template = "busybox", project = "alpha" }, HttpStatusCode.ServiceUnavailable },
        { "otto", "POST", "/api/v1/machines", new { name = "new-otto-beta", template = "busybox", project = "beta" }, HttpStatusCode.BadRequest },
        { "vic", "POST", "/api/v1/machines", new { name = "new-vic", template = "busybox", project = "alpha" }, HttpStatusCode.Forbidden },
        // act: allowed ones are told the host is offline
        { "ada", "POST", "/api/v1/machines/alpha-1/start", null, HttpStatusCode.Conflict },
        { "otto", "POST", "/api/v1/machines/alpha-1/start", null, HttpStatusCode.Conflict },
        { "otto", "POST", "/api/v1/machines/beta-1/start", null, HttpStatusCode.NotFound },
        { "vic", "POST", "/api/v1/machines/alpha-1/start", null, HttpStatusCode.Forbidden },
        // console: allowed ones are told it is a WebSocket
        { "ada", "GET", "/api/v1/machines/alpha-1/console", null, HttpStatusCode.BadRequest },
        { "otto", "GET", "/api/v1/machines/alpha-1/console", null, HttpStatusCode.BadRequest },
        { "otto", "GET", "/api/v1/machines/beta-1/console", null, HttpStatusCode.NotFound },
        { "vic", "GET", "/api/v1/machines/alpha-1/console", null, HttpStatusCode.Forbidden },
        // graphical console: Operator's like the console; alpha-1 is a container, which has none
        { "ada", "GET", "/api/v1/machines/alpha-1/vnc", null, HttpStatusCode.Conflict },
        { "otto", "GET", "/api/v1/machines/alpha-1/vnc", null, HttpStatusCode.Conflict },
        { "otto", "GET", "/api/v1/machines/beta-1/vnc", null, HttpStatusCode.NotFound },
        { "vic", "GET", "/api/v1/machines/alpha-1/vnc", null, HttpStatusCode.Forbidden },
        // delete
        { "ada", "DELETE", "/api/v1/machines/alpha-del-ada", null, HttpStatusCode.Accepted },
        { "otto", "DELETE", "/api/v1/machines/alpha-del-otto", null, HttpStatusCode.Accepted },
        { "otto", "DELETE", "/api/v1/machines/beta-del", null, HttpStatusCode.NotFound },
        { "vic", "DELETE", "/api/v1/machines/alpha-del-vic", null, HttpStatusCode.Forbidden },
        // tokens: everyone makes its own, never above its role
        { "ada", "POST", "/api/v1/tokens", new { name = "t", role = "Admin" }, HttpStatusCode.Created },
        { "otto", "POST", "/api/v1/tokens", new { name = "t" }, HttpStatusCode.Created },
        { "otto", "POST", "/api/v1/tokens", new { name = "t", role = "Admin" }, HttpStatusCode.BadRequest },
        { "vic", "POST", "/api/v1/tokens", new { name = "t", role = "Viewer" }, HttpStatusCode.Created },
        { "vic", "POST", "/api/v1/tokens", new { name = "t", role = "Operator" }, HttpStatusCode.BadRequest },
        { "vic", "GET", "/api/v1/tokens", null, HttpStatusCode.OK },
        // users: admins only
        { "ada", "GET", "/api/v1/users", null, HttpStatusCode.OK },
        { "otto", "GET", "/api/v1/users", null, HttpStatusCode.Forbidden },
        { "vic", "GET", "/api/v1/users", null, HttpStatusCode.Forbidden },
        { "ada", "POST", "/api/v1/users", new { userName = "newbie", password = "newbie-password" }, HttpStatusCode.Created },
        { "otto", "POST", "/api/v1/users", new { userName = "newbie2", password = "newbie-password" }, HttpStatusCode.Forbidden },
        { "vic", "POST", "/api/v1/users", new { userName = "newbie3", password = "newbie-password" }, HttpStatusCode.Forbidden },
        // projects: members read theirs, admins change them
        { "ada", "GET", "/api/v1/projects/beta", null, HttpStatusCode.OK },
        { "otto", "GET", "/api/v1/projects/alpha", null, HttpStatusCode.OK },
        { "otto", "GET", "/api/v1/projects/beta", null, HttpStatusCode.NotFound },
        { "vic", "GET", "/api/v1/projects/beta", null, HttpStatusCode.NotFound },
        { "ada", "POST", "/api/v1/projects", new { name = "gamma" }, HttpStatusCode.Created },
        { "otto", "POST", "/api/v1/projects", new { name = "delta" }, HttpStatusCode.Forbidden },
        { "vic", "PUT", "/api/v1/projects/alpha/quotas", new { maxMachines = 1 }, HttpStatusCode.Forbidden },
        { "otto", "PUT", "/api/v1/projects/alpha/quotas", new { maxMachines = 1 }, HttpStatusCode.Forbidden },
        // audit: admins only
        { "ada", "GET", "/api/v1/audit", null, HttpStatusCode.OK },
        { "otto", "GET", "/api/v1/audit", null, HttpStatusCode.Forbidden },
        { "vic", "GET", "/api/v1/audit", null, HttpStatusCode.Forbidden },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Role_Action_Status(string user, string method, string path, object? body, HttpStatusCode expected)
    {
        using var client = fixture.As(user);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{user} {method} {path}: expected {(int)expected}, got {(int)response.StatusCode} {text}");
        if ((int)expected >= 400)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Theory]
    [InlineData("otto")]
    [InlineData("vic")]
    public async Task List_ProjectMember_SeesOnlyItsProjects(string user)
    {
        using var client = fixture.As(user);
        var names = (await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/machines"))
            .GetProperty("items").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.Contains("alpha-1", names);
        Assert.DoesNotContain("beta-1", names);
        Assert.DoesNotContain("beta-del", names);

        var projects = (await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/projects"))
            .GetProperty("items").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Equal(["alpha"], projects);
    }

    [Fact]
    public async Task List_Admin_SeesEveryProjectsMachinesWithTheirProject()
    {
        var items = (await fixture.Admin.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/machines")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal("alpha", items.Single(m => m.GetProperty("name").GetString() == "alpha-1").GetProperty("project").GetString());
        Assert.Equal("beta", items.Single(m => m.GetProperty("name").GetString() == "beta-1").GetProperty("project").GetString());
    }

    [Fact]
    public async Task ProjectToken_SeesOnlyThatProject()
    {
        var created = await (await fixture.Admin.PostAsJsonAsync("/api/v1/tokens", new { name = "beta-only", role = "Viewer", project = "beta" })).ReadJsonAsync();
        using var client = fixture.Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", created.GetProperty("token").GetString());

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/machines/beta-1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/machines/alpha-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/v1/machines/beta-1/start", null)).StatusCode);
    }
}
