using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Ringmaster.Core.Store;

/// <summary>Lets <c>dotnet ef migrations add</c> build the SQLite model without the web host.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<RingmasterDbContext>
{
    public RingmasterDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<RingmasterDbContext>().UseSqlite("Data Source=design.db").Options);
}

/// <summary>
/// Lets <c>dotnet ef migrations add X --context PostgresRingmasterDbContext --output-dir Store/Migrations/Postgres</c>
/// build the PostgreSQL model; adding a migration never connects to the server named here.
/// </summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresRingmasterDbContext>
{
    public PostgresRingmasterDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<RingmasterDbContext>().UseNpgsql("Host=localhost;Database=ringmaster_design").Options);
}
