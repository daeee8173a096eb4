using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Ringmaster.Core.Store.Migrations
{
    /// <inheritdoc />
    public partial class VmEngine : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Engine",
                table: "Templates",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Engine",
                table: "Machines",
                type: "TEXT",
                maxLength: 16,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Engine",
                table: "Templates");

            migrationBuilder.DropColumn(
                name: "Engine",
                table: "Machines");
        }
    }
}
