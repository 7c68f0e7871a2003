using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FlexWhere.Accounts.Data.Migrations
{
    /// <inheritdoc />
    public partial class AuthenticationAssurance : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RenameColumn(
                name: "LockedUntil",
                table: "users",
                newName: "SecondFactorLockedUntil");

            migrationBuilder.RenameColumn(
                name: "FailedSignInCount",
                table: "users",
                newName: "SecondFactorFailures");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "AdminSince",
                table: "users",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "WasAdmin",
                table: "users",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ApplyAfter",
                table: "pending_phone_changes",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "EnrollmentProvenAt",
                table: "login_tickets",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "StepUpSessionId",
                table: "login_tickets",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "sessions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    UserId = table.Column<Guid>(type: "uuid", nullable: false),
                    OrganisationId = table.Column<Guid>(type: "uuid", nullable: false),
                    Client = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Role = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Amr = table.Column<string[]>(type: "text[]", nullable: false),
                    Acr = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    AuthTime = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    SecondFactorAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    PasswordAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    TrustedDeviceId = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    LastSeenAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    RevokedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    RevokedReason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sessions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_sessions_users_UserId",
                        column: x => x.UserId,
                        principalTable: "users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "sign_in_throttles",
                columns: table => new
                {
                    Key = table.Column<byte[]>(type: "bytea", nullable: false),
                    Failures = table.Column<int>(type: "integer", nullable: false),
                    WindowStartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    LockedUntil = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sign_in_throttles", x => x.Key);
                });

            migrationBuilder.CreateTable(
                name: "totp_enrollment_codes",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    UserId = table.Column<Guid>(type: "uuid", nullable: false),
                    OrganisationId = table.Column<Guid>(type: "uuid", nullable: false),
                    CodeHash = table.Column<byte[]>(type: "bytea", nullable: false),
                    IssuedBy = table.Column<Guid>(type: "uuid", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UsedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_totp_enrollment_codes", x => x.Id);
                    table.ForeignKey(
                        name: "FK_totp_enrollment_codes_users_UserId",
                        column: x => x.UserId,
                        principalTable: "users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_sessions_OrganisationId",
                table: "sessions",
                column: "OrganisationId");

            migrationBuilder.CreateIndex(
                name: "IX_sessions_TrustedDeviceId",
                table: "sessions",
                column: "TrustedDeviceId");

            migrationBuilder.CreateIndex(
                name: "IX_sessions_UserId",
                table: "sessions",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_totp_enrollment_codes_UserId_CodeHash",
                table: "totp_enrollment_codes",
                columns: new[] { "UserId", "CodeHash" });

            // The old password lock moved to sign_in_throttles; the renamed columns start afresh as the
            // second-factor lock. Today's admins count as admins since they were created.
            migrationBuilder.Sql("""UPDATE users SET "SecondFactorFailures" = 0, "SecondFactorLockedUntil" = NULL;""");
            migrationBuilder.Sql("""UPDATE users SET "WasAdmin" = TRUE, "AdminSince" = "CreatedAt" WHERE "Role" = 'Admin';""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "sessions");

            migrationBuilder.DropTable(
                name: "sign_in_throttles");

            migrationBuilder.DropTable(
                name: "totp_enrollment_codes");

            migrationBuilder.DropColumn(
                name: "AdminSince",
                table: "users");

            migrationBuilder.DropColumn(
                name: "WasAdmin",
                table: "users");

            migrationBuilder.DropColumn(
                name: "ApplyAfter",
                table: "pending_phone_changes");

            migrationBuilder.DropColumn(
                name: "EnrollmentProvenAt",
                table: "login_tickets");

            migrationBuilder.DropColumn(
                name: "StepUpSessionId",
                table: "login_tickets");

            migrationBuilder.RenameColumn(
                name: "SecondFactorLockedUntil",
                table: "users",
                newName: "LockedUntil");

            migrationBuilder.RenameColumn(
                name: "SecondFactorFailures",
                table: "users",
                newName: "FailedSignInCount");
        }
    }
}
