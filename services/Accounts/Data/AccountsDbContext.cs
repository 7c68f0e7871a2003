using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Auth;
using FlexWhere.Accounts.Mobile;
using FlexWhere.Accounts.Organisations;
using FlexWhere.Accounts.Users;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.Data;

/// <summary>Accounts' PostgreSQL database: organisations, users, refresh tokens and the audit log.</summary>
public sealed class AccountsDbContext(DbContextOptions<AccountsDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Organisation> Organisations => Set<Organisation>();

    public DbSet<User> Users => Set<User>();

    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();

    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    public DbSet<TotpFactor> TotpFactors => Set<TotpFactor>();

    public DbSet<MobilePin> MobilePins => Set<MobilePin>();

    /// <summary>The Data Protection key ring (TOTP secrets), shared by every Accounts replica.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Organisation>(organisation =>
        {
            organisation.ToTable("organisations");
            organisation.Property(o => o.Name).HasMaxLength(200);
            organisation.Property(o => o.Country).HasMaxLength(2);
        });

        modelBuilder.Entity<User>(user =>
        {
            user.ToTable("users");
            user.Property(u => u.Email).HasMaxLength(254);
            user.Property(u => u.NormalizedEmail).HasMaxLength(254);
            user.HasIndex(u => u.NormalizedEmail).IsUnique();
            user.HasIndex(u => u.OrganisationId);
            user.Property(u => u.DisplayName).HasMaxLength(200);
            user.Property(u => u.Role).HasConversion<string>().HasMaxLength(16);
            user.Property(u => u.PhoneNumber).HasMaxLength(16);
            user.HasOne(u => u.Organisation).WithMany().HasForeignKey(u => u.OrganisationId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<RefreshToken>(token =>
        {
            token.ToTable("refresh_tokens");
            token.HasIndex(t => t.TokenHash).IsUnique();
            token.HasIndex(t => t.SessionId);
            token.HasIndex(t => t.UserId);
            token.Property(t => t.Client).HasMaxLength(32);
            token.Property(t => t.RevokedReason).HasMaxLength(32);
            token.HasOne<User>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AuditEntry>(entry =>
        {
            entry.ToTable("audit_log");
            entry.HasIndex(e => new { e.OrganisationId, e.At });
            entry.Property(e => e.Event).HasMaxLength(64);
            entry.Property(e => e.ClientIp).HasMaxLength(45);
            entry.Property(e => e.Details).HasMaxLength(2000);
            // Audit entries outlive the users they mention: no foreign key to users.
            entry.HasOne<Organisation>().WithMany().HasForeignKey(e => e.OrganisationId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.ConfigureMobileFactors();
    }
}
