using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Access;

/// <summary>
/// At first start: the user <c>admin</c> (password from RINGMASTER_ADMIN_PASSWORD, or generated and
/// logged once), and the bootstrap admin token when RINGMASTER_BOOTSTRAP_TOKEN is set; made by one
/// node when several start on a new database at once.
/// </summary>
public sealed class AccessBootstrap(IServiceProvider services, IOptions<AccessOptions> options, ILogger<AccessBootstrap> logger) : IHostedService
{
    public const string AdminUser = "admin";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<UserEntity>>();
        var db = scope.ServiceProvider.GetRequiredService<RingmasterDbContext>();
        await DatabaseInitializer.InTurnAsync(db.Database, () => MakeFirstAsync(users, db, cancellationToken), cancellationToken);
    }

    private async Task MakeFirstAsync(UserManager<UserEntity> users, RingmasterDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.Users.AnyAsync(cancellationToken))
        {
            var password = options.Value.AdminPassword;
            var generated = string.IsNullOrWhiteSpace(password);
            if (generated)
            {
                password = Secrets.New("").Replace('-', 'x').Replace('_', 'y')[..20];
            }

            var admin = new UserEntity { UserName = AdminUser, Role = AccessRole.Admin, CreatedAt = DateTime.UtcNow };
            var created = await users.CreateAsync(admin, password!);
            if (!created.Succeeded)
            {
                throw new InvalidOperationException("The admin user could not be created: " + string.Join(" ", created.Errors.Select(e => e.Description)));
            }

            if (generated)
            {
                // The one secret that goes to the log, once: nobody could sign in otherwise.
                logger.LogWarning("Created the user '{User}' with the generated password {Password} — sign in and change it, or set RINGMASTER_ADMIN_PASSWORD before the first start.", AdminUser, password);
            }
            else
            {
                logger.LogInformation("Created the user '{User}' with the password from RINGMASTER_ADMIN_PASSWORD.", AdminUser);
            }
        }

        if (options.Value.BootstrapToken is { Length: > 0 } bootstrap)
        {
            var hash = Secrets.Hash(bootstrap.Trim());
            if (!await db.ApiTokens.AnyAsync(t => t.Hash == hash, cancellationToken))
            {
                db.ApiTokens.Add(new ApiTokenEntity
                {
                    Id = Guid.NewGuid(),
                    Name = "bootstrap",
                    Hash = hash,
                    Prefix = Secrets.Shown(bootstrap.Trim()),
                    Role = AccessRole.Admin,
                    CreatedBy = "RINGMASTER_BOOTSTRAP_TOKEN",
                    CreatedAt = DateTime.UtcNow,
                });
                await db.SaveChangesAsync(cancellationToken);
                logger.LogInformation("Created the bootstrap admin token from RINGMASTER_BOOTSTRAP_TOKEN.");
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
