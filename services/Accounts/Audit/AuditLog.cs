namespace FlexWhere.Accounts.Audit;

/// <summary>The audit log of one request (scoped). It knows the request (the client's address and the
/// signed-in caller), the clock and the database, so a call names only the event, whom it concerns and
/// the details. An entry is added to the context and written with the change it records. Outside a
/// request (housekeeping) there is no caller and no address.</summary>
public sealed class AuditLog(AccountsDbContext db, IHttpContextAccessor accessor, TimeProvider time)
{
    public const int MaxDetailsLength = 2000;

    /// <summary>An act of the signed-in caller, in the caller's organisation.</summary>
    /// <exception cref="InvalidOperationException">The request has no signed-in caller.</exception>
    public void ByCaller(string @event, Guid? subject = null, string? details = null)
    {
        var principal = accessor.HttpContext?.User;
        if (principal?.Identity?.IsAuthenticated != true || principal.FindFirstValue(TokenClaims.Subject) is null)
        {
            throw new InvalidOperationException($"Audit event {@event} names the caller, but the request has no signed-in caller.");
        }

        var caller = Caller.From(principal);
        Record(caller.OrganisationId, @event, caller.UserId, subject, details);
    }

    /// <summary>An act of a user on their own account (a sign-in, a proved code, a new PIN).</summary>
    public void BySelf(User user, string @event, string? details = null) => Record(user.OrganisationId, @event, user.Id, user.Id, details);

    /// <summary>What happened to a user's account without an act of theirs (a wrong code, a lock, a code sent).</summary>
    public void About(User user, string @event, string? details = null) => Record(user.OrganisationId, @event, null, user.Id, details);

    /// <summary>The general form, for an actor that is neither the caller nor the subject.</summary>
    public void Record(Guid organisationId, string @event, Guid? actor = null, Guid? subject = null, string? details = null) =>
        db.AuditEntries.Add(new AuditEntry
        {
            OrganisationId = organisationId,
            At = time.GetUtcNow(),
            Event = @event,
            ActorUserId = actor,
            SubjectUserId = subject,
            ClientIp = accessor.HttpContext?.Connection.RemoteIpAddress?.ToString(),
            Details = details is { Length: > MaxDetailsLength } ? details[..MaxDetailsLength] : details,
        });
}
