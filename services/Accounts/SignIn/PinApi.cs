namespace FlexWhere.Accounts.Mobile;

/// <param name="CurrentPin">Needed to change a PIN that is already set, so an unlocked phone in other hands cannot change it.</param>
public sealed record SetPinRequest(string? Pin, string? CurrentPin);

public sealed record VerifyPinRequest(string? Pin);

/// <summary>What both PIN routes work with: a scoped service, so each handler takes one parameter for it.</summary>
public sealed class PinServices(AccountsDbContext db, IPasswordHasher<MobilePin> hasher, IOptions<MobileOptions> options,
    TimeProvider time, AuditLog audit)
{
    public AccountsDbContext Db { get; } = db;

    public IPasswordHasher<MobilePin> Hasher { get; } = hasher;

    public TimeProvider Time { get; } = time;

    public AuditLog Audit { get; } = audit;

    internal Task<ApiProblem?> CheckAsync(MobilePin pin, string presented, PinApi.MobileSession session,
        CancellationToken cancellationToken) =>
        PinApi.CheckAsync(Db, Hasher, options.Value, pin, presented, session, Time, Audit, cancellationToken);
}

/// <summary>The app's PIN, per mobile session, when the organisation requires one.</summary>
public static class PinApi
{
    public static IEndpointRouteBuilder MapPinApi(this IEndpointRouteBuilder app)
    {
        var pin = app.MapGroup("/api/me/pin").WithTags("Mobile").RequireAuthorization();
        pin.MapPut("", SetPin).WithName("SetPin").WithMetadata(new AllowedBeforePinSetup())
            .WithSummary("Set the PIN of this mobile session (the organisation's length, digits only, not trivial); changing it needs " +
                "the current PIN.");
        pin.MapPost("/verify", VerifyPin).WithName("VerifyPin")
            .WithSummary("Check the PIN of this mobile session; after too many wrong PINs the session is revoked and a full sign-in is " +
                "needed.");
        return app;
    }

    public static async Task<Results<NoContent, ApiProblem>> SetPin(SetPinRequest? request, ClaimsPrincipal principal,
        PinServices services, CancellationToken cancellationToken)
    {
        var (db, hasher, time, audit) = (services.Db, services.Hasher, services.Time, services.Audit);
        var (session, refusal) = await MobileSessionAsync(principal, db, time, cancellationToken);
        if (refusal is not null) return refusal;

        switch (PinPolicy.Check(request?.Pin, session!.PinLength))
        {
            case PinQuality.Malformed:
                return ApiProblem.Validation("pin", $"Send a PIN of exactly {session.PinLength} digits.");
            case PinQuality.TooWeak:
                return new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.PinTooWeak, "This PIN is too easy to guess.",
                    "Choose a PIN that is not one digit repeated, a repeated pattern (1212), a run (1234, 4321) or a common PIN such as " +
                        "2580.");
        }

        var now = time.GetUtcNow();
        var existing = await db.MobilePins.SingleOrDefaultAsync(p => p.SessionId == session.SessionId, cancellationToken);
        if (existing is not null)
        {
            if (string.IsNullOrEmpty(request!.CurrentPin))
            {
                return new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.CurrentPinRequired, "Enter your current PIN.",
                    "This device already has a PIN: send it as currentPin to change it.");
            }

            var wrong = await services.CheckAsync(existing, request.CurrentPin, session, cancellationToken);
            if (wrong is not null) return wrong;
        }

        var pin = existing ?? new MobilePin { SessionId = session.SessionId, UserId = session.UserId,
            OrganisationId = session.OrganisationId, PinHash = "", CreatedAt = now };
        pin.PinHash = hasher.HashPassword(pin, request!.Pin!);
        pin.ChangedAt = now;
        pin.FailedAttempts = 0;
        if (existing is null) db.MobilePins.Add(pin);
        audit.ByCaller(existing is null ? MobileAuditEvents.PinSet : MobileAuditEvents.PinChanged, session.UserId,
            $"session {session.SessionId}");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<NoContent, ApiProblem>> VerifyPin(VerifyPinRequest? request, ClaimsPrincipal principal,
        PinServices services,
        CancellationToken cancellationToken)
    {
        var (session, refusal) = await MobileSessionAsync(principal, services.Db, services.Time, cancellationToken);
        if (refusal is not null) return refusal;
        if (string.IsNullOrEmpty(request?.Pin) || request.Pin.Length > Organisations.Organisation.MaxPinLength)
        {
            return ApiProblem.Validation("pin", $"Send the PIN ({session!.PinLength} digits).");
        }

        var pin = await services.Db.MobilePins.SingleOrDefaultAsync(p => p.SessionId == session!.SessionId, cancellationToken);
        if (pin is null)
        {
            // A parallel guess may have just reached the limit: it revokes the session, then deletes the PIN.
            var (_, revoked) = await MobileSessionAsync(principal, services.Db, services.Time, cancellationToken);
            return revoked ?? new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.PinNotSet, "No PIN set on this device.",
                "Set a PIN first (PUT /api/me/pin).");
        }

        return await services.CheckAsync(pin, request.Pin, session!, cancellationToken)
            ?? (Results<NoContent, ApiProblem>)TypedResults.NoContent();
    }

    /// <summary>Null when the PIN is right; otherwise the refusal, after counting the attempt.</summary>
    internal static async Task<ApiProblem?> CheckAsync(AccountsDbContext db, IPasswordHasher<MobilePin> hasher, MobileOptions options,
        MobilePin pin, string presented, MobileSession session, TimeProvider time, AuditLog audit, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // Every guess takes a slot in one statement before it is judged, so parallel guesses (on any
        // replica) can never have more than the limit judged. No row: the slots are taken, or a
        // guess that reached the limit ended the session.
        var counted = await db.Database
            .SqlQuery<int>($"""
                UPDATE mobile_pins SET "FailedAttempts" = "FailedAttempts" + 1
                WHERE "SessionId" = {pin.SessionId} AND "FailedAttempts" < {options.PinAttempts}
                RETURNING "FailedAttempts" AS "Value"
                """)
            .ToListAsync(cancellationToken);
        if (counted is not [var failed]) return SessionRevoked();

        if (hasher.VerifyHashedPassword(pin, pin.PinHash, presented) != PasswordVerificationResult.Failed)
        {
            await db.MobilePins.Where(p => p.SessionId == pin.SessionId)
                .ExecuteUpdateAsync(set => set.SetProperty(p => p.FailedAttempts, 0), cancellationToken);
            return null;
        }

        audit.Record(session.OrganisationId, MobileAuditEvents.PinFailed, subject: session.UserId, details: $"session {session.SessionId}");
        if (failed == options.PinAttempts)
        {
            await Sessions.EndAsync(db, session.SessionId, now, RevocationReasons.PinLocked, cancellationToken);
            await db.MobilePins.Where(p => p.SessionId == pin.SessionId).ExecuteDeleteAsync(cancellationToken);
            audit.Record(session.OrganisationId, MobileAuditEvents.PinLocked, subject: session.UserId,
                details: $"{options.PinAttempts} wrong PINs; session {session.SessionId} revoked");
            await db.SaveChangesAsync(cancellationToken);
            return SessionRevoked();
        }

        await db.SaveChangesAsync(cancellationToken);
        return new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidPin, "Wrong PIN.",
            $"The PIN is not right. After {options.PinAttempts} wrong PINs you must sign in again with your password.")
                .With("attemptsLeft", options.PinAttempts - failed);
    }

    internal sealed record MobileSession(Guid SessionId, Guid UserId, Guid OrganisationId, int PinLength);

    /// <summary>The caller's session, when it is a live mobile session of an organisation that requires a PIN.
    /// Read again here (not only at authentication): a parallel wrong PIN may have just ended it.</summary>
    private static async Task<(MobileSession? Session, ApiProblem? Refusal)> MobileSessionAsync(
        ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        if (!Guid.TryParse(principal.FindFirstValue(TokenClaims.Session), out var sessionId))
        {
            return (null, new ApiProblem(StatusCodes.Status401Unauthorized, ProblemCodes.InvalidToken, "Sign in again.",
                "This access token has no session."));
        }

        var now = time.GetUtcNow();
        var client = await db.Sessions
            .Where(s => s.Id == sessionId && s.UserId == caller.UserId && s.RevokedAt == null && s.ExpiresAt > now)
            .Select(s => s.Client).FirstOrDefaultAsync(cancellationToken);
        if (client is null) return (null, SessionRevoked());
        if (client != Clients.Mobile)
        {
            return (null, new ApiProblem(StatusCodes.Status403Forbidden, ProblemCodes.NotAMobileSession, "Only for the mobile app.",
                "A PIN belongs to a session of FlexWhere for Mobile; this session was opened by another client."));
        }

        var organisation = await db.Organisations.Where(o => o.Id == caller.OrganisationId)
            .Select(o => new { o.MobilePinRequired, o.PinLength }).SingleAsync(cancellationToken);
        if (!organisation.MobilePinRequired)
        {
            return (null, new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.PinNotRequired,
                "Your organisation does not use a PIN.",
                "Your organisation does not require a PIN in the mobile app, so there is none to set or check."));
        }

        return (new MobileSession(sessionId, caller.UserId, caller.OrganisationId, organisation.PinLength), null);
    }

    private static ApiProblem SessionRevoked() =>
        new ApiProblem(StatusCodes.Status401Unauthorized, ProblemCodes.SessionRevoked, "Sign in again.",
            "This session has ended (too many wrong PINs, signed out or revoked): sign in again with your e-mail address and password.");
}
