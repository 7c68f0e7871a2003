using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;

namespace FlexWhere.Accounts.Data;

/// <summary>Accounts' PostgreSQL database: organisations, users, refresh tokens and the audit log.</summary>
public sealed class AccountsDbContext(DbContextOptions<AccountsDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    /// <summary>The name of the connection string (ConnectionStrings:accountsdb) and of the AppHost's database resource.</summary>
    public const string ConnectionName = "accountsdb";

    public DbSet<Organisation> Organisations => Set<Organisation>();

    public DbSet<User> Users => Set<User>();

    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();

    public DbSet<UserSession> Sessions => Set<UserSession>();

    public DbSet<SignInThrottle> SignInThrottles => Set<SignInThrottle>();

    public DbSet<EnrollmentCode> EnrollmentCodes => Set<EnrollmentCode>();

    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    public DbSet<LoginTicket> LoginTickets => Set<LoginTicket>();

    public DbSet<TrustedDevice> TrustedDevices => Set<TrustedDevice>();

    public DbSet<RecoveryCode> RecoveryCodes => Set<RecoveryCode>();

    public DbSet<PhoneVerification> PhoneVerifications => Set<PhoneVerification>();

    public DbSet<PendingPhoneChange> PendingPhoneChanges => Set<PendingPhoneChange>();

    public DbSet<TotpFactor> TotpFactors => Set<TotpFactor>();

    public DbSet<MobilePin> MobilePins => Set<MobilePin>();

    public DbSet<AccountLink> AccountLinks => Set<AccountLink>();

    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();

    public DbSet<Passkey> Passkeys => Set<Passkey>();

    public DbSet<WebAuthnCeremony> WebAuthnCeremonies => Set<WebAuthnCeremony>();

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
            user.Property(u => u.Locale).HasMaxLength(5);
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

        modelBuilder.Entity<UserSession>(session =>
        {
            session.ToTable("sessions");
            session.HasIndex(s => s.UserId);
            session.HasIndex(s => s.TrustedDeviceId);
            session.HasIndex(s => s.OrganisationId);
            session.Property(s => s.Client).HasMaxLength(32);
            session.Property(s => s.Role).HasConversion<string>().HasMaxLength(16);
            session.Property(s => s.Acr).HasMaxLength(8);
            session.Property(s => s.RevokedReason).HasMaxLength(32);
            session.HasOne<User>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<SignInThrottle>(throttle =>
        {
            throttle.ToTable("sign_in_throttles");
            throttle.HasKey(t => t.Key);
        });

        modelBuilder.Entity<EnrollmentCode>(code =>
        {
            code.ToTable("totp_enrollment_codes");
            code.HasIndex(c => new { c.UserId, c.CodeHash });
            code.HasOne<User>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<LoginTicket>(ticket =>
        {
            ticket.ToTable("login_tickets");
            ticket.HasIndex(t => t.TokenHash).IsUnique();
            ticket.HasIndex(t => t.ExpiresAt);
            ticket.Property(t => t.Role).HasConversion<string>().HasMaxLength(16);
            ticket.Property(t => t.Client).HasMaxLength(32);
            ticket.Property(t => t.Method).HasMaxLength(32);
            ticket.Property(t => t.ChallengeId).HasMaxLength(64);
            ticket.HasOne<User>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<TrustedDevice>(device =>
        {
            device.ToTable("trusted_devices");
            device.HasIndex(d => d.TokenHash).IsUnique();
            device.HasIndex(d => d.UserId);
            device.HasIndex(d => d.OrganisationId);
            device.Property(d => d.Role).HasConversion<string>().HasMaxLength(16);
            device.Property(d => d.Name).HasMaxLength(TrustedDevice.MaxNameLength);
            device.Property(d => d.RevokedReason).HasMaxLength(32);
            device.HasOne<User>().WithMany().HasForeignKey(d => d.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<RecoveryCode>(code =>
        {
            code.ToTable("recovery_codes");
            code.HasIndex(c => new { c.UserId, c.CodeHash });
            code.HasOne<User>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<PhoneVerification>(verification =>
        {
            verification.ToTable("phone_verifications");
            verification.HasIndex(v => v.TokenHash).IsUnique();
            verification.Property(v => v.PhoneNumber).HasMaxLength(16);
            verification.Property(v => v.ChallengeId).HasMaxLength(64);
            verification.HasOne<User>().WithMany().HasForeignKey(v => v.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Passkey>(passkey =>
        {
            passkey.ToTable("passkeys");
            passkey.HasIndex(p => p.CredentialId).IsUnique();
            passkey.HasIndex(p => p.UserId);
            passkey.Property(p => p.CredentialId).HasMaxLength(1023);
            passkey.Property(p => p.Name).HasMaxLength(Passkey.MaxNameLength);
            passkey.HasOne<User>().WithMany().HasForeignKey(p => p.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<WebAuthnCeremony>(ceremony =>
        {
            ceremony.ToTable("webauthn_ceremonies");
            ceremony.HasIndex(c => c.ExpiresAt);
            ceremony.Property(c => c.Purpose).HasMaxLength(16);
        });

        modelBuilder.Entity<AccountLink>(link =>
        {
            link.ToTable("account_links");
            link.HasIndex(l => l.TokenHash).IsUnique();
            link.HasIndex(l => new { l.UserId, l.CreatedAt });
            link.Property(l => l.Purpose).HasMaxLength(32);
            link.Property(l => l.ChallengeId).HasMaxLength(64);
            link.HasOne<User>().WithMany().HasForeignKey(l => l.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<OutboxMessage>(message =>
        {
            message.ToTable("outbox");
            message.Property(m => m.Kind).HasMaxLength(64);
            message.HasIndex(m => m.NextAttemptAt);
        });

        modelBuilder.Entity<PendingPhoneChange>(change =>
        {
            change.ToTable("pending_phone_changes");
            change.HasIndex(c => new { c.OrganisationId, c.State });
            change.Property(c => c.PhoneNumber).HasMaxLength(16);
            change.Property(c => c.State).HasMaxLength(16);
            change.HasOne<User>().WithMany().HasForeignKey(c => c.TargetUserId).OnDelete(DeleteBehavior.Cascade);
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
