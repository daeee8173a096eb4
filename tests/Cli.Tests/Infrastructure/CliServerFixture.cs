using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Cli.Tests.Infrastructure;

/// <summary>One real Kestrel server with its embedded agent (real Podman), shared by a test class.</summary>
public sealed class CliServerFixture : IAsyncLifetime
{
    public RingmasterFactory Factory { get; } = new() { Embedded = true };
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Client = Factory.StartKestrel();
        await HttpJson.EventuallyAsync(
            async () => await (await Client.GetAsync("/api/v1/hosts")).ReadJsonAsync(),
            page => page.GetProperty("items").EnumerateArray().Any(h => h.GetProperty("online").GetBoolean()),
            TimeSpan.FromSeconds(60), "the embedded host to come online");
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
