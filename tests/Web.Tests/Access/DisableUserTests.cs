using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Core.Store;
using Ringmaster.Web.Access;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>
/// An admin disables a user (<c>PATCH /api/v1/users/{name}</c>): it can no longer sign in, its tokens and
/// dashboard cookie are refused from their next request, and enabling it lets its tokens back in. Nobody
/// disables themselves or the last enabled admin, and only admins disable anyone.
/// </summary>
public sealed class DisableUserTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new() { Settings = { ["Access:CircuitRecheckSeconds"] = "1" } };
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _admin = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _factory.DisposeAsync();
    }

    private async Task CreateUserAsync(string name, string role) =>
        (await _admin.PostAsJsonAsync("/api/v1/users", new { userName = name, password = name + "-password", role })).EnsureSuccessStatusCode();

    private async Task<HttpClient> TokenClientAsync(string name)
    {
        using var anonymous = _factory.CreateAnonymousClient();
        using var login = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = name, password = name + "-password" });
        Assert.True(login.IsSuccessStatusCode, await login.Content.ReadAsStringAsync());
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await login.ReadJsonAsync()).GetProperty("token").GetString());
        return client;
    }

    /// <summary>A browser-like client (cookies kept, redirects not followed) that posted the sign-in form; the answer's Location says where it was sent.</summary>
    private async Task<(HttpClient Browser, Uri? Location)> SignInWithFormAsync(string name)
    {
        var browser = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        browser.DefaultRequestHeaders.Authorization = null;
        using var signIn = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = await browser.AntiforgeryTokenAsync("/login"),
            ["userName"] = name,
            ["password"] = name + "-password",
            ["returnUrl"] = "/machines",
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        return (browser, signIn.Headers.Location);
    }

    private Task<HttpResponseMessage> SetDisabledAsync(HttpClient client, string name, bool disabled) =>
        client.PatchAsJsonAsync($"/api/v1/users/{name}", new { disabled });

    private static async Task<string?> DetailAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.ReadJsonAsync()).GetProperty("detail").GetString();
    }

    [Fact]
    public async Task Disable_SignInTokenAndCookieRefused_EnableLetsTheTokenBackIn()
    {
        await CreateUserAsync("dora", "Viewer");
        using var token = await TokenClientAsync("dora");
        var (browser, signedIn) = await SignInWithFormAsync("dora");
        using var _ = browser;
        Assert.Equal("/machines", signedIn?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await token.GetAsync("/api/v1/machines")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/machines")).StatusCode);

        using var disabled = await SetDisabledAsync(_admin, "dora", true);
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        var view = await disabled.ReadJsonAsync();
        Assert.True(view.GetProperty("disabled").GetBoolean());
        Assert.InRange(view.GetProperty("disabledAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        var listed = (await (await _admin.GetAsync("/api/v1/users")).ReadJsonAsync()).GetProperty("items").EnumerateArray().Single(u => u.GetProperty("userName").GetString() == "dora");
        Assert.True(listed.GetProperty("disabled").GetBoolean());

        // What dora already holds stops working at its next request.
        Assert.Equal(HttpStatusCode.Unauthorized, (await token.GetAsync("/api/v1/machines")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/machines")).StatusCode);
        using (var page = await browser.GetAsync("/machines"))
        {
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
            Assert.StartsWith("/login", page.Headers.Location!.IsAbsoluteUri ? page.Headers.Location.PathAndQuery : page.Headers.Location.OriginalString, StringComparison.Ordinal);
        }

        // Signing in again is refused: with the right password dora is told why, with a wrong one only that it is wrong.
        using var anonymous = _factory.CreateAnonymousClient();
        using (var login = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = "dora", password = "dora-password" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, login.StatusCode);
            Assert.Equal("This account is disabled; ask an admin to enable it.", await DetailAsync(login));
        }

        using (var wrong = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = "dora", password = "not-the-password" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Equal("The user name or password is wrong.", await DetailAsync(wrong));
        }

        var (again, refusedAt) = await SignInWithFormAsync("dora");
        using (again)
        {
            Assert.StartsWith("/login?error=disabled", refusedAt?.OriginalString, StringComparison.Ordinal);
            var loginPage = await again.GetStringAsync(refusedAt!.OriginalString);
            Assert.Contains("This account is disabled; ask an admin to enable it.", loginPage, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Unauthorized, (await again.GetAsync("/api/v1/machines")).StatusCode);
        }

        using var enabled = await SetDisabledAsync(_admin, "dora", false);
        Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
        var enabledView = await enabled.ReadJsonAsync();
        Assert.False(enabledView.GetProperty("disabled").GetBoolean());
        Assert.Equal(JsonValueKind.Null, enabledView.GetProperty("disabledAt").ValueKind);
        Assert.Equal(HttpStatusCode.OK, (await token.GetAsync("/api/v1/machines")).StatusCode);

        // The audit is written once a response has gone (OnCompleted): the last PATCH's entry may follow its answer.
        static bool Patch(JsonElement e) => e.GetProperty("action").GetString() == "PATCH /api/v1/users/{userName}"
            && e.GetProperty("target").GetString() == "/api/v1/users/dora" && e.GetProperty("status").GetInt32() == 200;
        var audit = await HttpJson.EventuallyAsync(
            async () => (await (await _admin.GetAsync("/api/v1/audit?limit=100")).ReadJsonAsync()).GetProperty("items").EnumerateArray().ToList(),
            entries => entries.Count(Patch) >= 2, TimeSpan.FromSeconds(10), "both PATCHes' audit entries");
        Assert.Equal(2, audit.Count(Patch));
        Assert.Contains(audit, e => e.GetProperty("action").GetString() == "auth.login" && e.GetProperty("user").GetString() == "dora"
            && e.GetProperty("status").GetInt32() == 403 && e.GetProperty("detail").GetString() == "account disabled");
    }

    [Fact]
    public async Task Disable_AnOpenDashboardTab_IsSignedOutAtItsNextRecheck()
    {
        await CreateUserAsync("dora", "Viewer");
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        var dora = await db.Users.AsNoTracking().SingleAsync(u => u.UserName == "dora");
        // The principal a tab's live connection holds: what the cookie carried when the tab opened.
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, dora.Id), new Claim(ClaimTypes.Name, "dora"), new Claim(AccessExtensions.SecurityStampClaim, dora.SecurityStamp!)],
            AccessExtensions.CookieScheme));
        await using var tab = _factory.Services.CreateAsyncScope();
        var state = tab.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
        ((IHostEnvironmentAuthenticationStateProvider)state).SetAuthenticationState(Task.FromResult(new AuthenticationState(principal)));
        Assert.True((await state.GetAuthenticationStateAsync()).User.Identity?.IsAuthenticated);

        using var disabled = await SetDisabledAsync(_admin, "dora", true);
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);

        var after = await HttpJson.EventuallyAsync(state.GetAuthenticationStateAsync, s => s.User.Identity?.IsAuthenticated != true, TimeSpan.FromSeconds(15), "dora's open tab signed out");
        Assert.Null(after.User.Identity?.Name);
    }

    [Fact]
    public async Task Disable_Yourself_409Problem()
    {
        await CreateUserAsync("ada", "Admin");
        using var ada = await TokenClientAsync("ada");

        using var response = await SetDisabledAsync(ada, "ada", true);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("You cannot disable yourself.", await DetailAsync(response));
        Assert.Equal(HttpStatusCode.OK, (await ada.GetAsync("/api/v1/users/ada")).StatusCode);
    }

    [Fact]
    public async Task Disable_LastEnabledAdmin_409Problem_AndADisabledAdminDoesNotCountAsOne()
    {
        await CreateUserAsync("ada", "Admin");
        using var ada = await TokenClientAsync("ada");
        using (var first = await SetDisabledAsync(ada, "admin", true))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using var last = await SetDisabledAsync(_admin, "ada", true);
        Assert.Equal(HttpStatusCode.Conflict, last.StatusCode);
        Assert.Equal("This is the last enabled admin; make or enable another admin first.", await DetailAsync(last));

        using var demoted = await _admin.PutAsJsonAsync("/api/v1/users/ada/role", new { role = "Operator" });
        Assert.Equal(HttpStatusCode.Conflict, demoted.StatusCode);
        Assert.Equal("This is the last admin; make another admin first.", await DetailAsync(demoted));
        Assert.Equal(HttpStatusCode.OK, (await ada.GetAsync("/api/v1/users")).StatusCode);
    }

    [Theory]
    [InlineData("otto", "Operator")]
    [InlineData("vic", "Viewer")]
    public async Task Disable_ByANonAdmin_403AndTheUserStaysEnabled(string name, string role)
    {
        await CreateUserAsync(name, role);
        await CreateUserAsync("dora", "Viewer");
        using var caller = await TokenClientAsync(name);

        using var response = await SetDisabledAsync(caller, "dora", true);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False((await (await _admin.GetAsync("/api/v1/users/dora")).ReadJsonAsync()).GetProperty("disabled").GetBoolean());
    }

    [Fact]
    public async Task Disable_UnknownUser_404_AndNoDisabledField_ValidationProblem()
    {
        using var unknown = await SetDisabledAsync(_admin, "nobody", true);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("No such user.", await DetailAsync(unknown));

        await CreateUserAsync("dora", "Viewer");
        using var empty = await _admin.PatchAsJsonAsync("/api/v1/users/dora", new { });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal("Say whether the user is disabled: true or false.", (await empty.ReadJsonAsync()).GetProperty("errors").GetProperty("disabled")[0].GetString());
    }
}
