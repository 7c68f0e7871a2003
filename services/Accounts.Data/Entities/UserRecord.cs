namespace FlexWhere.Accounts.Data;

/// <summary>What every record that belongs to one user has: its own id, the user and the user's
/// organisation (every query is scoped to the caller's organisation), and when it was made. Not an
/// entity type itself: each subclass is its own table with these columns.</summary>
public abstract class UserRecord
{
    public Guid Id { get; set; }

    public Guid UserId { get; set; }

    public Guid OrganisationId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
