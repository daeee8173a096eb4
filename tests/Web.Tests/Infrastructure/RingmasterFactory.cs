using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Ringmaster.Web.Tests.Infrastructure;

/// <summary>The credentials every test app starts with: its clients authenticate as admin unless a test says otherwise.</summary>
public static class TestAccess
{
    /// <summary>RINGMASTER_BOOTSTRAP_TOKEN of every test app: an admin token.</summary>
    public const string BootstrapToken = "rmt_test-bootstrap-token-0123456789abcdef";
    public const string AdminPassword = "test-admin-password";
}

/// <summary>
/// The web app with its own data folder and join token; its clients send the bootstrap (admin) token. <see cref="Embedded"/> runs the in-process
/// agent, which needs a real Kestrel port (<see cref="StartKestrel"/>).
/// </summary>
public sealed class RingmasterFactory : WebApplicationFactory<Program>
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public string DataPath { get; } = Directory.CreateTempSubdirectory("ringmaster-test-").FullName;
    public string JoinToken { get; } = "test-join-token-" + Guid.NewGuid().ToString("N");
    public bool Embedded { get; init; }
    public Dictionary<string, string?> Settings { get; } = [];

    /// <summary>
    /// The database: null is SQLite in <see cref="DataPath"/>, unless RINGMASTER_TEST_DATABASE=postgres
    /// gives every app a new database on the tests' own PostgreSQL server (<see cref="PostgresServer"/>).
    /// </summary>
    public string? ConnectionString { get; init; } = PostgresServer.Selected ? PostgresServer.Shared.NewConnectionString() : null;

    /// <summary>Services to put in place of the app's own (a test clock, say).</summary>
    public Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? TestServices { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("Ringmaster:Data", DataPath);
        if (ConnectionString is { } connection)
        {
            builder.UseSetting("Ringmaster:ConnectionString", connection);
        }

        builder.UseSetting("Agent:Embedded", Embedded ? "true" : "false");
        builder.UseSetting("Agent:JoinToken", JoinToken);
        builder.UseSetting("Agent:Name", "test-host");
        builder.UseSetting("Access:BootstrapToken", TestAccess.BootstrapToken);
        builder.UseSetting("Access:AdminPassword", TestAccess.AdminPassword);
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        if (TestServices is { } services)
        {
            Microsoft.AspNetCore.TestHost.WebHostBuilderExtensions.ConfigureTestServices(builder, services);
        }
    }

    /// <summary>Every client authenticates as admin with the bootstrap token (remove the header to be anonymous).</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestAccess.BootstrapToken);
    }

    /// <summary>A client without credentials.</summary>
    public HttpClient CreateAnonymousClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = null;
        return client;
    }

    /// <summary>Serves on a free loopback port and returns a client for it.</summary>
    public HttpClient StartKestrel()
    {
        UseKestrel(0);
        StartServer();
        return CreateClient();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (ConnectionString is { } connection && Ringmaster.Core.Store.DatabaseProvider.IsPostgres(connection))
        {
            PostgresServer.Release(connection);
        }

        try
        {
            Directory.Delete(DataPath, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public static class HttpJson
{
    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(RingmasterFactory.Json))!;

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>(RingmasterFactory.Json);

    /// <summary>The antiforgery token in the form of a dashboard page (sign-in, sign-out), as a browser would post it back.</summary>
    public static async Task<string> AntiforgeryTokenAsync(this HttpClient http, string page)
    {
        var html = await http.GetStringAsync(page);
        var input = System.Text.RegularExpressions.Regex.Match(html, "<input[^>]*name=\"__RequestVerificationToken\"[^>]*>");
        var value = System.Text.RegularExpressions.Regex.Match(input.Value, "value=\"([^\"]+)\"");
        Xunit.Assert.True(value.Success, $"no antiforgery token on {page}: {html[..Math.Min(html.Length, 400)]}");
        return System.Net.WebUtility.HtmlDecode(value.Groups[1].Value);
    }

    /// <summary>Polls until <paramref name="condition"/> holds (the thing under test is pushed asynchronously).</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        T last;
        do
        {
            last = await probe();
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}; last seen: {Describe(last)}");
    }

    /// <summary>What a probe last saw, for a timeout's message; a probe that got no answer returns an empty JsonElement, which has no JSON.</summary>
    private static string Describe<T>(T last) =>
        last is JsonElement { ValueKind: JsonValueKind.Undefined } ? "no answer" : JsonSerializer.Serialize(last, RingmasterFactory.Json);
}
