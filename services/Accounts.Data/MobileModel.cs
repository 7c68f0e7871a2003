namespace FlexWhere.Accounts.Mobile;

public static class MobileModel
{
    public static void ConfigureMobileFactors(this ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<TotpFactor>(factor =>
        {
            factor.ToTable("totp_factors");
            factor.HasKey(f => f.UserId);
            factor.HasIndex(f => f.OrganisationId);
            factor.HasOne<Users.User>().WithOne().HasForeignKey<TotpFactor>(f => f.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<MobilePin>(pin =>
        {
            pin.ToTable("mobile_pins");
            pin.HasKey(p => p.SessionId);
            pin.HasIndex(p => p.UserId);
            pin.Property(p => p.PinHash).HasMaxLength(200);
            pin.HasOne<Users.User>().WithMany().HasForeignKey(p => p.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey>().ToTable("data_protection_keys");
    }
}
