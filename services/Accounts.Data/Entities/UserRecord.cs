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

public static class UserRecords
{
    /// <summary>Makes a new record the user's: a time-ordered id, the user, the user's own organisation
    /// (never one a caller names) and the time it was made.</summary>
    public static T BelongingTo<T>(this T record, Guid userId, Guid organisationId, DateTimeOffset now, Guid? id = null)
        where T : UserRecord
    {
        record.Id = id ?? Guid.CreateVersion7(now);
        record.UserId = userId;
        record.OrganisationId = organisationId;
        record.CreatedAt = now;
        return record;
    }

    /// <inheritdoc cref="BelongingTo{T}(T, Guid, Guid, DateTimeOffset, Guid?)"/>
    public static T BelongingTo<T>(this T record, Users.User user, DateTimeOffset now, Guid? id = null) where T : UserRecord =>
        record.BelongingTo(user.Id, user.OrganisationId, now, id);
}
