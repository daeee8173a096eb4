using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Ringmaster.Core.Domain;

namespace Ringmaster.Core.Store.EntityConfigurations;

internal sealed class MetricSeriesConfiguration : IEntityTypeConfiguration<MetricSeriesEntity>
{
    public void Configure(EntityTypeBuilder<MetricSeriesEntity> builder)
    {
        builder.ToTable("MetricSeries");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).ValueGeneratedOnAdd();
        builder.HasIndex(s => new { s.Owner, s.OwnerId }).IsUnique();
    }
}

internal sealed class MetricSlotConfiguration : IEntityTypeConfiguration<MetricSlotEntity>
{
    public void Configure(EntityTypeBuilder<MetricSlotEntity> builder)
    {
        // One integer key (SQLite keeps it as the row id): no second index, and a series' slots are one key range.
        builder.ToTable("MetricSlots");
        builder.HasKey(s => s.Key);
        builder.Property(s => s.Key).ValueGeneratedNever();
    }
}
