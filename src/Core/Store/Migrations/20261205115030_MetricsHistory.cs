using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Ringmaster.Core.Store.Migrations
{
    /// <inheritdoc />
    public partial class MetricsHistory : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "MetricSeries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Owner = table.Column<int>(type: "INTEGER", nullable: false),
                    OwnerId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MetricSeries", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MetricSlots",
                columns: table => new
                {
                    Key = table.Column<long>(type: "INTEGER", nullable: false),
                    Start = table.Column<long>(type: "INTEGER", nullable: false),
                    Count = table.Column<int>(type: "INTEGER", nullable: false),
                    Cpu = table.Column<long>(type: "INTEGER", nullable: false),
                    MemoryUsed = table.Column<long>(type: "INTEGER", nullable: false),
                    MemoryTotal = table.Column<long>(type: "INTEGER", nullable: false),
                    IoCount = table.Column<int>(type: "INTEGER", nullable: false),
                    DiskRead = table.Column<long>(type: "INTEGER", nullable: false),
                    DiskWrite = table.Column<long>(type: "INTEGER", nullable: false),
                    NetRx = table.Column<long>(type: "INTEGER", nullable: false),
                    NetTx = table.Column<long>(type: "INTEGER", nullable: false),
                    MipsCount = table.Column<int>(type: "INTEGER", nullable: false),
                    Mips = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MetricSlots", x => x.Key);
                });

            migrationBuilder.CreateIndex(
                name: "IX_MetricSeries_Owner_OwnerId",
                table: "MetricSeries",
                columns: new[] { "Owner", "OwnerId" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "MetricSeries");

            migrationBuilder.DropTable(
                name: "MetricSlots");
        }
    }
}
