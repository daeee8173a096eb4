using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Ringmaster.Core.Store.Migrations
{
    /// <inheritdoc />
    public partial class ProjectsOwnEverything : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Project",
                table: "Schedules",
                type: "TEXT",
                maxLength: 63,
                nullable: false,
                defaultValue: "default");

            migrationBuilder.AddColumn<string>(
                name: "Project",
                table: "ScalingGroups",
                type: "TEXT",
                maxLength: 63,
                nullable: false,
                defaultValue: "default");

            migrationBuilder.AddColumn<long>(
                name: "QuotaStamp",
                table: "Projects",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "Project",
                table: "Operations",
                type: "TEXT",
                maxLength: 63,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Project",
                table: "Backups",
                type: "TEXT",
                maxLength: 63,
                nullable: false,
                defaultValue: "default");

            // What was there before belonged to the project of its machine; what had no machine stays
            // visible to admins only (operations) or goes to the default project (schedules, groups).
            migrationBuilder.Sql(
                """
                UPDATE "Backups" SET "Project" = COALESCE((SELECT "Project" FROM "Machines" WHERE "Machines"."Id" = "Backups"."MachineId"), 'default');
                UPDATE "Operations" SET "Project" = (SELECT "Project" FROM "Machines" WHERE "Machines"."Id" = "Operations"."MachineId") WHERE "MachineId" IS NOT NULL;
                UPDATE "Schedules" SET "Project" = COALESCE((SELECT "Project" FROM "Machines" WHERE "Machines"."Id" = "Schedules"."MachineId"), 'default');
                """);

            migrationBuilder.CreateIndex(
                name: "IX_Schedules_Project",
                table: "Schedules",
                column: "Project");

            migrationBuilder.CreateIndex(
                name: "IX_ScalingGroups_Project",
                table: "ScalingGroups",
                column: "Project");

            migrationBuilder.CreateIndex(
                name: "IX_Operations_Project",
                table: "Operations",
                column: "Project");

            migrationBuilder.CreateIndex(
                name: "IX_Backups_Project",
                table: "Backups",
                column: "Project");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Schedules_Project",
                table: "Schedules");

            migrationBuilder.DropIndex(
                name: "IX_ScalingGroups_Project",
                table: "ScalingGroups");

            migrationBuilder.DropIndex(
                name: "IX_Operations_Project",
                table: "Operations");

            migrationBuilder.DropIndex(
                name: "IX_Backups_Project",
                table: "Backups");

            migrationBuilder.DropColumn(
                name: "Project",
                table: "Schedules");

            migrationBuilder.DropColumn(
                name: "Project",
                table: "ScalingGroups");

            migrationBuilder.DropColumn(
                name: "QuotaStamp",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "Project",
                table: "Operations");

            migrationBuilder.DropColumn(
                name: "Project",
                table: "Backups");
        }
    }
}
