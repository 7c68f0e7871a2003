namespace FlexWhere.Accounts.Mfa;

/// <summary>A live sign-in of the user's: where (the client, the trusted device that opened it), when, and how.</summary>
public sealed record SessionDto(Guid Id, string Client, DateTimeOffset SignedInAt, DateTimeOffset LastSeenAt, DateTimeOffset ExpiresAt,
    IReadOnlyList<string> Amr, string? DeviceName, bool Current);

public sealed record SessionsEnded(int Ended);

/// <summary>The signed-in user's own sessions: see them, end one, or end every other one (a lost laptop, a shared computer).</summary>
public static class SessionsApi
{
    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        var sessions = app.MapGroup("/api/me/sessions").WithTags("My sign-in").RequireAuthorization();
        sessions.MapGet("", List).WithName("ListMySessions").WithSummary("Your sessions that are still live, this one marked current.");
        sessions.MapDelete("/{sessionId:guid}", End).WithName("EndMySession")
            .WithSummary("End one of your sessions at once (this one too: then sign in again).");
        sessions.MapDelete("", EndOthers).WithName("EndMyOtherSessions").WithSummary("End every session of yours but this one.");
        return app;
    }

    public static async Task<Ok<List<SessionDto>>> List(ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time,
        IOptions<SessionLimits> limits, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var now = time.GetUtcNow();
        var current = CurrentSession(principal);
        var open = await db.Sessions
            .Where(s => s.UserId == caller.UserId && s.OrganisationId == caller.OrganisationId && s.RevokedAt == null && s.ExpiresAt > now)
            .GroupJoin(db.TrustedDevices, s => s.TrustedDeviceId, d => d.Id, (s, devices) => new { Session = s, devices })
            .SelectMany(x => x.devices.DefaultIfEmpty(), (x, device) => new { x.Session, DeviceName = device!.Name })
            .OrderByDescending(x => x.Session.LastSeenAt).ToListAsync(cancellationToken);
        return TypedResults.Ok(open.Where(x => Sessions.IsLive(x.Session, now, limits.Value))
            .Select(x => new SessionDto(x.Session.Id, x.Session.Client, x.Session.AuthTime, x.Session.LastSeenAt, x.Session.ExpiresAt,
                x.Session.Amr, x.DeviceName, x.Session.Id == current))
            .ToList());
    }

    public static async Task<Results<NoContent, ApiProblem>> End(Guid sessionId, ClaimsPrincipal principal, AccountsDbContext db,
        TimeProvider time, AuditLog audit, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var ended = await Sessions.EndAsync(db, s => s.Id == sessionId && s.UserId == caller.UserId
            && s.OrganisationId == caller.OrganisationId, time.GetUtcNow(), RevocationReasons.RevokedByUser, cancellationToken);
        if (ended == 0) return AccountsRefusals.NotFound("session");
        audit.ByCaller(AuditEvents.SessionsEnded, caller.UserId,
            $"session {sessionId} ended by its user{(sessionId == CurrentSession(principal) ? " (the one in use)" : "")}");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<SessionsEnded>> EndOthers(ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time,
        AuditLog audit, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var ended = await Sessions.EndForUserAsync(db, caller.UserId, time.GetUtcNow(), RevocationReasons.RevokedByUser, cancellationToken,
            except: CurrentSession(principal));
        audit.ByCaller(AuditEvents.SessionsEnded, caller.UserId, $"{ended} other sessions ended by their user");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new SessionsEnded(ended));
    }

    private static Guid? CurrentSession(ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(TokenClaims.Session), out var sid) ? sid : null;
}
