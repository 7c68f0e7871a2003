namespace FlexWhere.Accounts.Mfa;

/// <summary>A WebAuthn credential of a user (a passkey or a security key): its public key and signature counter.
/// The private key never leaves the authenticator, and the credential works only for this site (its RP ID).</summary>
public sealed class Passkey : UserRecord
{
    public const int MaxNameLength = 64;

    public required byte[] CredentialId { get; set; }

    /// <summary>COSE public key, as the authenticator gave it at registration.</summary>
    public required byte[] PublicKey { get; set; }

    /// <summary>The authenticator's last signature counter; one that goes backwards means a cloned key.</summary>
    public long SignCount { get; set; }

    public Guid AaGuid { get; set; }

    /// <summary>May be synced to other devices (a synced passkey: <c>swk</c>); false for a key bound to one device (<c>hwk</c>).</summary>
    public bool BackupEligible { get; set; }

    public bool BackedUp { get; set; }

    public string[] Transports { get; set; } = [];

    /// <summary>The name the user gave it ("YubiKey on my keyring").</summary>
    public required string Name { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <summary>A WebAuthn challenge waiting for its one answer: the options sent to the browser, and what it is bound to.</summary>
public sealed class WebAuthnCeremony
{
    public Guid Id { get; set; }

    /// <summary><see cref="WebAuthnPurposes"/>.</summary>
    public required string Purpose { get; set; }

    /// <summary>The user registering or signing in with a second factor; null for a passwordless sign-in (the passkey names the user).</summary>
    public Guid? UserId { get; set; }

    /// <summary>A second factor's login ticket, or a registration's session: an answer counts only there.</summary>
    public Guid? BoundTo { get; set; }

    public required string OptionsJson { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? UsedAt { get; set; }
}

public static class WebAuthnPurposes
{
    public const string Register = "register";
    public const string SecondFactor = "second_factor";
    public const string Passwordless = "passwordless";
    public const string StepUp = "step_up";
}
