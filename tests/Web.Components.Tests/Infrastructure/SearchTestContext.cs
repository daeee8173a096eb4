using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>
/// The search and the host tree against a real SQLite store through the caller's scope, as the product
/// reads them: two projects (blue and red), each with a machine, an operation and a snapshot, on two hosts.
/// </summary>
public abstract class SearchTestContext : DashboardTestContext
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"ringmaster-search-{Guid.NewGuid():N}.db");

    protected static readonly Guid Alpha = Guid.NewGuid();
    protected static readonly Guid Beta = Guid.NewGuid();
    protected readonly Guid BlueMachine = Guid.NewGuid();
    protected readonly Guid RedMachine = Guid.NewGuid();
    protected readonly Guid BlueOperation = Guid.NewGuid();
    protected readonly Guid RedOperation = Guid.NewGuid();

    /// <summary>Whose projects the store shows: all of them unless a test signs in a project's user.</summary>
    protected TestScope Scope { get; } = new();

    protected SearchTestContext()
    {
        var options = new DbContextOptionsBuilder<RingmasterDbContext>().UseSqlite($"Data Source={_path};Pooling=False").Options;
        using (var db = new RingmasterDbContext(options))
        {
            db.Database.Migrate();
            db.Hosts.Add(new HostEntity { Id = Alpha, Name = "Alpha-Host", Online = true });
            db.Hosts.Add(new HostEntity { Id = Beta, Name = "beta-host", Online = false });
            db.Machines.Add(Machine(BlueMachine, "web-blue-1", "blue", Alpha, MachineState.Running));
            db.Machines.Add(Machine(Guid.NewGuid(), "db-blue-2", "blue", Beta, MachineState.Stopped));
            db.Machines.Add(Machine(RedMachine, "web-red-1", "red", Beta, MachineState.Running));
            db.Operations.Add(new OperationEntity { Id = BlueOperation, Kind = OperationKind.MachineStart, Target = "web-blue-1", User = "bob", Project = "blue", MachineId = BlueMachine, State = OperationStatus.Succeeded, CreatedAt = DateTime.UtcNow });
            db.Operations.Add(new OperationEntity { Id = RedOperation, Kind = OperationKind.MachineStart, Target = "web-red-1", User = "rita", Project = "red", MachineId = RedMachine, State = OperationStatus.Succeeded, CreatedAt = DateTime.UtcNow });
            db.Snapshots.Add(new SnapshotEntity { Id = Guid.NewGuid(), MachineId = BlueMachine, Name = "before-upgrade", CreatedAt = DateTime.UtcNow });
            db.Snapshots.Add(new SnapshotEntity { Id = Guid.NewGuid(), MachineId = RedMachine, Name = "red-before-upgrade", CreatedAt = DateTime.UtcNow });
            db.Templates.Add(new TemplateEntity { Name = "busybox", Kind = MachineKind.Container, Image = "ringmaster/busybox:latest", Description = "BusyBox", Vcpus = 1, MemoryMiB = 64, DiskGiB = 1 });
            db.Images.Add(new ImageEntity { Name = "debian-installer.iso", Kind = ImageKind.Iso, Source = "file:///isos/debian.iso", CreatedAt = DateTime.UtcNow });
            db.SaveChanges();
        }

        Services.AddSingleton<IDashboardSearch>(new DashboardSearch(new Factory(options, Scope)));
    }

    /// <summary>Adds to the store what a test needs beside the common rows (through all projects).</summary>
    protected void Seed(Action<RingmasterDbContext> add)
    {
        using var db = new RingmasterDbContext(new DbContextOptionsBuilder<RingmasterDbContext>().UseSqlite($"Data Source={_path};Pooling=False").Options);
        add(db);
        db.SaveChanges();
    }

    /// <summary>Signs in a user of <paramref name="projects"/> only (a Viewer elsewhere), as the circuit's scope does.</summary>
    protected void SignInProjectUser(string user, params string[] projects)
    {
        Authorization.SetAuthorized(user);
        Authorization.SetRoles("Viewer");
        Scope.Projects = projects;
    }

    protected static MachineEntity Machine(Guid id, string name, string project, Guid host, MachineState state) => new()
    {
        Id = id,
        Name = name,
        Project = project,
        HostId = host,
        State = state,
        Kind = MachineKind.Container,
        Template = "busybox",
        Image = "ringmaster/busybox:latest",
        Spec = new MachineSpec(1, 64, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]),
        CreatedAt = DateTime.UtcNow,
        UpdatedAt = DateTime.UtcNow,
    };

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        File.Delete(_path);
    }

    public sealed class TestScope : IAccessScope
    {
        public IReadOnlyCollection<string>? Projects { get; set; }
        public string? User => null;
        public string? DefaultProject => Projects?.FirstOrDefault();
    }

    private sealed class Factory(DbContextOptions<RingmasterDbContext> options, IAccessScope scope) : IDbContextFactory<RingmasterDbContext>
    {
        public RingmasterDbContext CreateDbContext() => new(options, scope);
    }
}
