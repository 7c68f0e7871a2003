using System.Security.Cryptography;
using FlexWhere.Accounts.Users;
using Microsoft.IdentityModel.Tokens;

namespace FlexWhere.Accounts.Mfa;

public static class SecondFactors
{
    public const string Sms = "sms";
    public const string Totp = "totp";
    public const string TotpEnrollment = "totp_enrollment";
}

/// <summary>The password was right; this is what the client holds until the second factor is done.
/// Stored as SHA-256 of the random value the client got.</summary>
public sealed class LoginTicket
{
    public Guid Id { get; set; }

    public required byte[] TokenHash { get; set; }

    public Guid UserId { get; set; }

    public Guid OrganisationId { get; set; }

    /// <summary>The role when the password was checked: a role change in between ends the ticket.</summary>
    public UserRole Role { get; set; }

    public required string Client { get; set; }

    /// <summary><see cref="SecondFactors"/>.</summary>
    public required string Method { get; set; }

    /// <summary>The SMS challenge at Challenges, for <see cref="SecondFactors.Sms"/>.</summary>
    public string? ChallengeId { get; set; }

    /// <summary>Set for a step-up: the session the code is to refresh. Such a ticket never signs anyone in,
    /// and a sign-in ticket never steps a session up.</summary>
    public Guid? StepUpSessionId { get; set; }

    /// <summary>For <see cref="SecondFactors.TotpEnrollment"/>: when the user proved a second thing (the SMS
    /// code, or an admin's enrollment code) that lets them link an authenticator.</summary>
    public DateTimeOffset? EnrollmentProvenAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? ConsumedAt { get; set; }

    /// <summary>Wrong codes and recovery codes on this ticket (SMS attempts are also counted by Challenges).</summary>
    public int FailedAttempts { get; set; }

    public bool IsUsable(DateTimeOffset now) => ConsumedAt is null && ExpiresAt > now;
}

/// <summary>Random bearer values handed to clients (tickets, device tokens): 256 bits, URL-safe,
/// stored only as SHA-256 — with that much entropy a plain hash cannot be reversed.</summary>
public static class OpaqueTokens
{
    public const int MaxLength = 200;

    public static string New() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));

    public static bool LooksValid(string? token) => token is { Length: > 0 and <= MaxLength };
}
