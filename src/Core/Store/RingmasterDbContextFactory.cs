using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Ringmaster.Core.Services;

namespace Ringmaster.Core.Store;

/// <summary>
/// Makes the context of the configured database: <see cref="RingmasterDbContext"/> on SQLite,
/// <see cref="PostgresRingmasterDbContext"/> on PostgreSQL (each finds its own migrations). Both take
/// the one <see cref="DbContextOptions{RingmasterDbContext}"/>, so what configures those (interceptors,
/// tests) holds on either database.
/// </summary>
public sealed class RingmasterDbContextFactory(DbContextOptions<RingmasterDbContext> options, IOptions<RingmasterOptions> settings, IAccessScope? scope = null)
    : IDbContextFactory<RingmasterDbContext>
{
    private readonly bool _postgres = DatabaseProvider.IsPostgres(settings.Value.ConnectionString);

    public RingmasterDbContext CreateDbContext() =>
        _postgres ? new PostgresRingmasterDbContext(options, scope) : new RingmasterDbContext(options, scope);
}
