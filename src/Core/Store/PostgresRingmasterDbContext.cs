using Microsoft.EntityFrameworkCore;
using Ringmaster.Core.Services;

namespace Ringmaster.Core.Store;

/// <summary>
/// The inventory on PostgreSQL: the same model as <see cref="RingmasterDbContext"/>, with its own
/// migrations (<c>Store/Migrations/Postgres</c>) since each provider's migrations name its own column
/// types. Made by <see cref="RingmasterDbContextFactory"/> when the connection string is PostgreSQL's.
/// </summary>
public sealed class PostgresRingmasterDbContext(DbContextOptions<RingmasterDbContext> options, IAccessScope? scope = null)
    : RingmasterDbContext(options, scope);
