namespace FlexWhere.Accounts.Auth;

/// <summary>Wrong passwords counted against one key: an e-mail address (known or not, so an unknown
/// address answers exactly like a known one, lock included), or one trusted device of a user (so the
/// user on their own device is not locked out by strangers' failures on the address: the idea of
/// Entra ID's smart lockout). Only a hash of the key is stored.</summary>
public sealed class SignInThrottle
{
    public required byte[] Key { get; set; }

    /// <summary>Attempts taken in the current window, judged or still being judged.</summary>
    public int Failures { get; set; }

    public DateTimeOffset WindowStartedAt { get; set; }

    public DateTimeOffset? LockedUntil { get; set; }
}
