using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Ringmaster.Core.Store;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without the web host.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<RingmasterDbContext>
{
    public RingmasterDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<RingmasterDbContext>().UseSqlite("Data Source=design.db").Options);
}
