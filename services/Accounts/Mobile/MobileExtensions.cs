using Microsoft.AspNetCore.DataProtection;

namespace FlexWhere.Accounts.Mobile;

public static class MobileExtensions
{
    public const string DataProtectionApplicationName = "FlexWhere.Accounts";

    public static void AddMobileFactors(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MobileOptions>().BindConfiguration(MobileOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // Keys in the Accounts database and one application name: every replica decrypts what another wrote. The
        // keys are encrypted to a certificate from configuration before they are stored (KeyProtection).
        builder.ProtectKeysWithConfiguredCertificate(
            builder.Services.AddDataProtection().SetApplicationName(DataProtectionApplicationName).PersistKeysToDbContext<AccountsDbContext>());
        builder.Services.AddSingleton<TotpSecrets>();
        builder.Services.AddSingleton<MobileTotp>();
        builder.Services.AddSingleton<IPasswordHasher<MobilePin>, PasswordHasher<MobilePin>>();
        builder.Services.AddScoped<PinServices>();
    }
}
