using Microsoft.AspNetCore.DataProtection;

namespace FlexWhere.Accounts.Mobile;

/// <summary>Encrypts TOTP secrets at rest. The keys live in the Accounts database (shared by every
/// replica); the purpose chain includes the user id, so a row copied onto another user does not decrypt.</summary>
public sealed class TotpSecrets(IDataProtectionProvider provider)
{
    public const string Purpose = "FlexWhere.Accounts.Mobile.TotpSecret.v1";

    public byte[] Protect(Guid userId, byte[] secret) => For(userId).Protect(secret);

    public byte[] Unprotect(Guid userId, byte[] protectedSecret) => For(userId).Unprotect(protectedSecret);

    private IDataProtector For(Guid userId) => provider.CreateProtector(Purpose, userId.ToString("N"));
}
