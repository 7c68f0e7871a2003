using FlexWhere.Accounts.Data;

namespace FlexWhere.Accounts.Audit;

public static class AuditLog
{
    /// <summary>Adds an entry to the context; it is written with the change it records.</summary>
    public static void Record(this AccountsDbContext db, HttpContext? http, TimeProvider time, Guid organisationId, string @event,
        Guid? actor = null, Guid? subject = null, string? details = null) =>
        db.AuditEntries.Add(new AuditEntry
        {
            OrganisationId = organisationId,
            At = time.GetUtcNow(),
            Event = @event,
            ActorUserId = actor,
            SubjectUserId = subject,
            ClientIp = http?.Connection.RemoteIpAddress?.ToString(),
            Details = details is { Length: > 2000 } ? details[..2000] : details,
        });
}
