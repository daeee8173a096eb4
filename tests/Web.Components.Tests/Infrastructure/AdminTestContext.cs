using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Access;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>
/// The admin pages against a real SQLite store: the same <see cref="UserService"/>, <see cref="ProjectService"/>,
/// <see cref="AccessAdmin"/> and audit log as the product, with "admin" (an Admin user in the store) signed in.
/// </summary>
public abstract class AdminTestContext : DashboardTestContext
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"ringmaster-admin-{Guid.NewGuid():N}.db");

    protected AdminTestContext()
    {
        var connection = $"Data Source={_path};Pooling=False";
        Store = new DbContextOptionsBuilder<RingmasterDbContext>().UseSqlite(connection).Options;
        using (var db = new RingmasterDbContext(Store))
        {
            db.Database.Migrate();
            db.Projects.Add(new ProjectEntity { Name = ProjectEntity.Default, CreatedAt = DateTime.UtcNow });
            var admin = new UserEntity { UserName = "admin", NormalizedUserName = "ADMIN", Role = AccessRole.Admin, CreatedAt = DateTime.UtcNow, SecurityStamp = Guid.NewGuid().ToString() };
            db.Users.Add(admin);
            db.SaveChanges();
            AdminId = admin.Id;
        }

        Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        Services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        Services.AddDbContextFactory<RingmasterDbContext>(o => o.UseSqlite(connection));
        Services.AddIdentityCore<UserEntity>(o =>
            {
                o.Password.RequiredLength = 8;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
            })
            .AddEntityFrameworkStores<RingmasterDbContext>();
        Services.AddSingleton<ProjectQuotas>();
        Services.AddSingleton<ProjectService>();
        Services.AddScoped<UserService>();
        Services.AddSingleton<AuditLog>();
        Services.AddScoped<DashboardCaller>();
        Services.AddScoped<AccessAdmin>();
        SignIn("admin", AccessRole.Admin, AdminId);
    }

    /// <summary>The store's options, for reading what the pages saved.</summary>
    protected DbContextOptions<RingmasterDbContext> Store { get; }

    protected string AdminId { get; }

    /// <summary>Signs <paramref name="user"/> in with <paramref name="role"/>, as the dashboard's cookie carries it (the role claims and the effective role).</summary>
    protected void SignIn(string user, AccessRole role, string? id = null)
    {
        Authorization.SetAuthorized(user);
        Authorization.SetRoles([.. Enum.GetValues<AccessRole>().Where(r => r <= role).Select(r => r.ToString())]);
        var claims = new List<Claim> { new(AccessClaims.Role, role.ToString()) };
        if (id is not null)
        {
            claims.Add(new Claim(ClaimTypes.NameIdentifier, id));
        }

        Authorization.SetClaims([.. claims]);
    }

    protected RingmasterDbContext Db() => new(Store);

    protected void AddProject(string name, int? maxVcpus = null, int? maxMachines = null, params string[] members)
    {
        using var db = Db();
        db.Projects.Add(new ProjectEntity { Name = name, MaxVcpus = maxVcpus, MaxMachines = maxMachines, CreatedAt = DateTime.UtcNow });
        foreach (var member in members)
        {
            db.ProjectMembers.Add(new ProjectMemberEntity { Project = name, UserId = db.Users.Single(u => u.UserName == member).Id });
        }

        db.SaveChanges();
    }

    protected void AddUser(string name, AccessRole role, params string[] projects)
    {
        using var db = Db();
        var user = new UserEntity { UserName = name, NormalizedUserName = name.ToUpperInvariant(), Role = role, CreatedAt = DateTime.UtcNow, SecurityStamp = Guid.NewGuid().ToString() };
        db.Users.Add(user);
        db.ProjectMembers.AddRange(projects.Select(p => new ProjectMemberEntity { Project = p, UserId = user.Id }));
        db.SaveChanges();
    }

    /// <summary>The audit log as the Audit page reads it: "user action target status [detail]", oldest first.</summary>
    protected List<string> AuditLines()
    {
        using var db = Db();
        return [.. db.Audit.OrderBy(a => a.Id).AsEnumerable().Select(a => $"{a.User} {a.Action} {a.Target} {a.Status}{(a.Detail is null ? "" : " " + a.Detail)}")];
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        File.Delete(_path);
    }
}
