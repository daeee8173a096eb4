using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>
/// An app with two projects (alpha, beta), a machine in each, and three users who sign in through
/// the API: ada (Admin), otto (Operator in alpha) and vic (Viewer in alpha).
/// </summary>
public sealed class AccessFixture : IAsyncLifetime
{
    public RingmasterFactory Factory { get; } = new();
    public HttpClient Admin { get; private set; } = null!;
    public Dictionary<string, string> Tokens { get; } = [];
    public Guid OfflineHost { get; } = Guid.NewGuid();

    public static readonly string[] Users = ["ada", "otto", "vic"];

    public async Task InitializeAsync()
    {
        Admin = Factory.CreateClient();
        foreach (var project in new[] { "alpha", "beta" })
        {
            (await Admin.PostAsJsonAsync("/api/v1/projects", new { name = project })).EnsureSuccessStatusCode();
        }

        await CreateUserAsync("ada", AccessRole.Admin, []);
        await CreateUserAsync("otto", AccessRole.Operator, ["alpha"]);
        await CreateUserAsync("vic", AccessRole.Viewer, ["alpha"]);
        foreach (var user in Users)
        {
            Tokens[user] = await LoginAsync(user);
        }

        // Machines on a host that is not connected: reads work, actions answer "host offline" to those allowed to try.
        await using var db = await Factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        db.Hosts.Add(new HostEntity { Id = OfflineHost, Name = "far-host", Online = false, RegisteredAt = DateTime.UtcNow });
        AddMachine(db, "alpha-1", "alpha", OfflineHost);
        AddMachine(db, "beta-1", "beta", OfflineHost);
        foreach (var user in Users)
        {
            AddMachine(db, $"alpha-del-{user}", "alpha", null);
        }

        AddMachine(db, "beta-del", "beta", null);
        await db.SaveChangesAsync();
    }

    public static void AddMachine(RingmasterDbContext db, string name, string project, Guid? host) => db.Machines.Add(new MachineEntity
    {
        Id = Guid.NewGuid(),
        Name = name,
        Project = project,
        Kind = MachineKind.Container,
        Template = "busybox",
        Image = "ringmaster/busybox:latest",
        Spec = new MachineSpec(1, 64, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]),
        HostId = host,
        // On the offline host, as the host monitor leaves its machines (seeded Stopped, one turned Unknown whenever a sweep came, mid-test).
        State = host is null ? MachineState.Stopped : MachineState.Unknown,
        LastKnownState = host is null ? null : MachineState.Stopped,
        CreatedAt = DateTime.UtcNow,
        UpdatedAt = DateTime.UtcNow,
    });

    public async Task CreateUserAsync(string name, AccessRole role, string[] projects)
    {
        using var response = await Admin.PostAsJsonAsync("/api/v1/users", new { userName = name, password = name + "-password", role = role.ToString(), projects });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<string> LoginAsync(string name)
    {
        using var anonymous = Factory.CreateAnonymousClient();
        using var response = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = name, password = name + "-password" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync()).GetProperty("token").GetString()!;
    }

    public HttpClient As(string user)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens[user]);
        return client;
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Factory.DisposeAsync();
    }
}
