using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Ringmaster.Core.Store.Migrations
{
    /// <inheritdoc />
    public partial class MachineLabelIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "MachineLabels",
                columns: table => new
                {
                    MachineId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Key = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    Value = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MachineLabels", x => new { x.MachineId, x.Key });
                    table.ForeignKey(
                        name: "FK_MachineLabels_Machines_MachineId",
                        column: x => x.MachineId,
                        principalTable: "Machines",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_MachineLabels_Key_Value",
                table: "MachineLabels",
                columns: new[] { "Key", "Value" });

            // The labels machines already have, as rows (this migration set is SQLite's: json_each).
            migrationBuilder.Sql(
                """
                INSERT INTO "MachineLabels" ("MachineId", "Key", "Value")
                SELECT m."Id", j."key", j."value" FROM "Machines" m, json_each(m."Labels") j
                WHERE length(j."key") BETWEEN 1 AND 63 AND length(j."value") <= 256;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "MachineLabels");
        }
    }
}
