namespace FlexWhere.Accounts.Users;

/// <summary>What a single-use link e-mailed to a user lets them do: choose their first password, or a new one.</summary>
public static class AccountLinkPurposes
{
    public const string Invitation = "invitation";
    public const string PasswordReset = "password_reset";
}

/// <summary>
/// A single-use link sent by e-mail (an invitation or a password reset): only the SHA-256 of its token is
/// kept. For admins and managers it also needs an SMS code to the user's number before it sets the
/// password; <see cref="ChallengeId"/> is that code's challenge while one is out.
/// </summary>
public sealed class AccountLink : UserRecord
{
    public required string Purpose { get; set; }

    public required byte[] TokenHash { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? UsedAt { get; set; }

    /// <summary>The admin who sent an invitation; null for a link the user asked for.</summary>
    public Guid? SentBy { get; set; }

    public string? ChallengeId { get; set; }
}

/// <summary>
/// A message waiting to be published to RabbitMQ, written in the same transaction as what it tells about
/// (a transactional outbox): an invitation is never saved without its e-mail, nor sent for one that was
/// rolled back. The payload carries a link, so it is kept encrypted (Data Protection) and the row is
/// deleted once RabbitMQ confirmed the publish.
/// </summary>
public sealed class OutboxMessage
{
    public Guid Id { get; set; }

    /// <summary>The contract's type name, e.g. <c>SendEmail</c>.</summary>
    public required string Kind { get; set; }

    public required string ProtectedPayload { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }
}
