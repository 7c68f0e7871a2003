using System.ComponentModel.DataAnnotations;
using System.Runtime.CompilerServices;

namespace FlexWhere.Accounts.Auth;

/// <summary>Checked by .NET's request validation before the handler runs (400 validation_failed with errors);
/// the handler checks the rest, in an order that names a user name before a missing password.</summary>
public sealed record LoginRequest(
    [property: Required(ErrorMessage = "Send email: the e-mail address you sign in with.")]
    [property: MaxLength(EmailAddresses.MaxLength, ErrorMessage = "email is at most 254 characters.")]
    string? Email,
    string? Password,
    [property: Required(ErrorMessage = "Send client: \"control-centre\" or \"mobile\".")]
    [property: AllowedValues(Clients.ControlCentre, Clients.Mobile, ErrorMessage = "client is \"control-centre\" or \"mobile\".")]
    string? Client,
    [property: MaxLength(OpaqueTokens.MaxLength, ErrorMessage = "deviceToken is not one this service issued.")]
    string? DeviceToken);

/// <param name="Pin">Mobile sessions of organisations that require a PIN: the app's PIN, checked by the server.</param>
public sealed record RefreshRequest(string? RefreshToken, string? Pin = null);

/// <param name="Locale"><c>nl</c> or <c>en</c>: the language of the user's e-mails and SMS (their choice, else the organisation's).</param>
public sealed record MeResponse(Guid Id, string Email, string DisplayName, string Role, Guid OrganisationId, string Organisation,
    string? PhoneHint, string Locale);

public static class Clients
{
    public const string ControlCentre = "control-centre";
    public const string Mobile = "mobile";
}

public static class AuthApi
{
    // Verified when the e-mail is unknown, so that answer takes as long as a wrong password: made by the
    // hasher in use, so it has the configured iteration count (PasswordHasherOptions) like real hashes.
    private static readonly ConditionalWeakTable<IPasswordHasher<User>, string> DummyHashes = new();

    private static string DummyHashFor(IPasswordHasher<User> hasher) => hasher.HashPassword(null!, "no-such-user-" + Guid.NewGuid());

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Sign-in");
        auth.MapPost("/login", Login).WithName("Login").WithSummary("Sign in with e-mail address and password (first factor).");
        auth.MapPost("/refresh", Refresh).WithName("Refresh")
            .WithSummary("Exchange a refresh token for new tokens; the old one stops working.");
        auth.MapPost("/logout", Logout).WithName("Logout").WithSummary("Revoke the session of a refresh token.");

        app.MapGet("/api/me", Me).WithTags("Sign-in").RequireAuthorization().WithName("Me").WithSummary("The signed-in user.");
        app.MapGet("/.well-known/jwks.json", (SigningKeyRing keys) => TypedResults.Ok(keys.Jwks()))
            .WithTags("Sign-in").WithName("Jwks").WithSummary("Public keys that verify access tokens.");
        return app;
    }

    public static async Task<Results<Ok<SignedIn>, Ok<MfaRequired>, ApiProblem>> Login(
        LoginRequest? request, SignInContext context, IPasswordHasher<User> hasher, IOptions<PasswordSignInOptions> options,
        PasswordCheckGate gate, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (db, time, audit) = (context.Db, context.Time, context.Audit);
        var logger = loggers.CreateLogger("FlexWhere.Accounts.SignIn");
        if (request?.Email is { Length: > 0 } login && !login.Contains('@'))
        {
            return new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.UsernameLoginDisabled, "Sign in with your e-mail address.",
                "Usernames are no longer supported: sign in with your e-mail address (name@example.com).");
        }

        if (string.IsNullOrWhiteSpace(request?.Email) || request.Email.Length > 254 || string.IsNullOrEmpty(request.Password)
            || request.Password.Length > PasswordPolicy.MaxPresentedLength
            || request.Client is not (Clients.ControlCentre or Clients.Mobile)
            || request.DeviceToken is { Length: > OpaqueTokens.MaxLength })
        {
            var field = request is null ? "body"
                : string.IsNullOrWhiteSpace(request.Email) || request.Email.Length > 254 ? "email"
                : string.IsNullOrEmpty(request.Password) || request.Password.Length > PasswordPolicy.MaxPresentedLength ? "password"
                : request.Client is not (Clients.ControlCentre or Clients.Mobile) ? "client"
                : "deviceToken";
            return ApiProblem.Validation(field, "Send email, password and client (\"control-centre\" or \"mobile\").");
        }

        // Admitted before any database work: a refused sign-in has cost next to nothing and counts as no attempt.
        using var check = await gate.EnterAsync(cancellationToken);
        if (!check.IsAcquired) return gate.Busy();

        var normalized = User.Normalize(request.Email);
        var user = await db.Users.Include(u => u.Organisation)
            .SingleOrDefaultAsync(u => u.NormalizedEmail == normalized, cancellationToken);
        var now = time.GetUtcNow();

        // The user's own trusted device counts wrong passwords on a key of its own, so strangers'
        // failures on the address do not lock the user out there.
        // Under the passkey rule an admin proves the passkey at every sign-in: a remembered browser would carry no proof of it.
        var device = user is not null && request.Client == Clients.ControlCentre
            && !Assurance.NeedsPasskey(user.Role, request.Client, user.Organisation)
            ? await TrustedDevices.FindTrustedAsync(db, user, request.DeviceToken, now, cancellationToken)
            : null;
        var throttleKey = device is null ? SignInThrottles.ForEmail(normalized) : SignInThrottles.ForDevice(device.Id);
        var entry = await SignInThrottles.EnterAsync(db, throttleKey, now, options.Value, cancellationToken);
        if (!entry.Admitted)
        {
            return AccountLocked(entry.LockedUntil!.Value, now);
        }

        // An unknown address costs the same hash as a wrong password, and counts the same.
        var verdict = hasher.VerifyHashedPassword(user!, user?.PasswordHash ?? DummyHashes.GetValue(hasher, DummyHashFor), request.Password);
        check.Dispose(); // the hash is done: the next sign-in may use the core
        if (user?.PasswordHash is null || verdict == PasswordVerificationResult.Failed)
        {
            var lockedUntil = await SignInThrottles.FailedAsync(db, throttleKey, now, options.Value, cancellationToken);
            if (user is null)
            {
                logger.LogInformation("Sign-in failed: unknown account");
            }
            else
            {
                audit.About(user, AuditEvents.SignInFailed,
                    device is null ? "wrong password" : $"wrong password on trusted device {device.Id}");
                if (lockedUntil is not null)
                {
                    logger.LogWarning("Account {UserId} locked until {LockedUntil} after {Attempts} wrong passwords", user.Id, lockedUntil,
                        options.Value.MaxFailedAttempts);
                    audit.About(user, AuditEvents.AccountLocked,
                        $"{options.Value.MaxFailedAttempts} wrong passwords{(device is null ? "" : $" on trusted device {device.Id}")}; "
                        + $"locked for {options.Value.LockoutMinutes} min");
                    await context.Notices.AddAsync(user, EmailTemplates.AccountLocked, locale => EmailTemplates.When(lockedUntil.Value, locale),
                        cancellationToken);
                }

                await db.SaveChangesAsync(cancellationToken);
            }

            if (lockedUntil is null) return InvalidCredentials();
            return AccountLocked(lockedUntil.Value, now);
        }

        // A right password does not clear the count (strangers' failures stay counted): only a
        // complete sign-in with a second factor does. It gives back the slot it took.
        await SignInThrottles.ReleaseAsync(db, throttleKey, cancellationToken);
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded) user.PasswordHash = hasher.HashPassword(user, request.Password);

        if (!user.Active)
        {
            audit.About(user, AuditEvents.SignInRefused, "account disabled");
            await db.SaveChangesAsync(cancellationToken);
            return new ApiProblem(StatusCodes.Status403Forbidden, ProblemCodes.AccountDisabled, "This account is disabled.",
                "Your account has been disabled. Ask your administrator.");
        }

        if (!Assurance.NeedsSecondFactor(user.Role, request.Client, user.Organisation))
        {
            return TypedResults.Ok(await context.CompleteAsync(user, request.Client, [AuthMethods.Password], secondFactorNow: false,
                trustedDeviceId: null, cancellationToken));
        }

        // The Control Centre always asks for a second factor: MFA there cannot be switched off.
        if (request.Client == Clients.ControlCentre) return await SmsSignIn.StartAsync(context, user, request.Client, device,
            cancellationToken);

        // Mobile: the authenticator app where the organisation requires it or the user has one, else
        // (admins and managers) a code by SMS: no client skips the second factor.
        if (user.Organisation.MobileTotpRequired || await MobileTotp.IsEnrolledAsync(db, user.Id, cancellationToken))
        {
            return await TotpSignIn.StartAsync(context, user, cancellationToken);
        }

        return await SmsSignIn.StartAsync(context, user, request.Client, null, cancellationToken);
    }

    public static async Task<Results<Ok<SignedIn>, ApiProblem>> Refresh(
        RefreshRequest? request, AccountsDbContext db, Tokens tokens, IPasswordHasher<MobilePin> pinHasher, IOptions<MobileOptions> mobile,
        IOptions<SessionLimits> sessions, TimeProvider time, AuditLog audit, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request?.RefreshToken) || request.RefreshToken.Length > 200) return InvalidToken();
        if (request.Pin is { Length: > Organisation.MaxPinLength }) return ApiProblem.Validation("pin",
            $"The PIN has at most {Organisation.MaxPinLength} digits.");

        var hash = Tokens.Hash(request.RefreshToken);
        var now = time.GetUtcNow();
        var token = await db.RefreshTokens.SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (token is null || token.ExpiresAt <= now) return InvalidToken();

        var session = await db.Sessions.SingleOrDefaultAsync(s => s.Id == token.SessionId, cancellationToken);
        if (session is null || !Sessions.IsLive(session, now, sessions.Value))
        {
            if (session is { RevokedAt: null }) await Sessions.EndAsync(db, session.Id, now, "expired", cancellationToken);
            return InvalidToken();
        }

        var user = await db.Users.Include(u => u.Organisation).SingleOrDefaultAsync(u => u.Id == token.UserId, cancellationToken);
        if (user is not { Active: true })
        {
            await Sessions.EndAsync(db, session.Id, now, RevocationReasons.UserDisabled, cancellationToken);
            return InvalidToken();
        }

        // The PIN is the server's to check: a mobile session with a PIN refreshes only with it.
        var pinVerified = false;
        if (session.Client == Clients.Mobile && user.Organisation.MobilePinRequired && token.RevokedAt is null)
        {
            var pin = await db.MobilePins.SingleOrDefaultAsync(p => p.SessionId == session.Id, cancellationToken);
            if (pin is not null)
            {
                if (string.IsNullOrEmpty(request.Pin))
                {
                    return new ApiProblem(StatusCodes.Status401Unauthorized, ProblemCodes.PinRequired, "Enter your PIN.",
                        "This app session is protected by a PIN: send it as pin with the refresh token.");
                }

                var wrong = await PinApi.CheckAsync(db, pinHasher, mobile.Value, pin, request.Pin,
                    new PinApi.MobileSession(session.Id, user.Id, user.OrganisationId,
                        user.Organisation.PinLength), time, audit, cancellationToken);
                if (wrong is not null) return wrong;
                pinVerified = true;
            }
        }

        // Conditional on "not yet revoked": of two requests with the same token only one rotates it.
        var rotated = token.RevokedAt is null && await db.RefreshTokens
            .Where(t => t.Id == token.Id && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, now).SetProperty(t => t.RevokedReason, "rotated"),
                cancellationToken) == 1;
        if (!rotated)
        {
            // A used token came back: someone holds a copy. End the whole session.
            await Sessions.EndAsync(db, token.SessionId, now, RevocationReasons.Reuse, cancellationToken);
            audit.Record(token.OrganisationId, AuditEvents.TokenReuseDetected, subject: token.UserId,
                details: $"session {token.SessionId} revoked");
            await db.SaveChangesAsync(cancellationToken);
            return InvalidToken();
        }

        // A refresh keeps the session's assurance and never raises it: a role that now needs more
        // than the session proved (a promotion, a stricter policy) ends the session.
        if (user.Role != session.Role || !Assurance.Satisfies(session.Acr, user.Role, session.Client, user.Organisation))
        {
            await Sessions.EndAsync(db, session.Id, now, RevocationReasons.AssuranceTooLow, cancellationToken);
            audit.About(user, AuditEvents.SessionsEnded,
                $"session {session.Id}: opened as {session.Role} with {session.Acr}, the account now needs more");
            await db.SaveChangesAsync(cancellationToken);
            return InvalidToken();
        }

        session.LastSeenAt = now;
        var signedIn = await tokens.Issue(db, user, session, pinVerified)
            .WithPinFlagsAsync(db, user.OrganisationId, session.Id, session.Client, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(signedIn);
    }

    public static async Task<NoContent> Logout(RefreshRequest? request, AccountsDbContext db, TimeProvider time, AuditLog audit,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request?.RefreshToken) || request.RefreshToken.Length > 200) return TypedResults.NoContent();

        var hash = Tokens.Hash(request.RefreshToken);
        var token = await db.RefreshTokens.SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (token is not null)
        {
            await Sessions.EndAsync(db, token.SessionId, time.GetUtcNow(), RevocationReasons.Logout, cancellationToken);
            audit.Record(token.OrganisationId, AuditEvents.TokenRevoked, actor: token.UserId, subject: token.UserId, details: "signed out");
            await db.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<MeResponse>, ApiProblem>> Me(ClaimsPrincipal principal, AccountsDbContext db,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var user = await db.Users.Include(u => u.Organisation)
            .SingleOrDefaultAsync(u => u.Id == caller.UserId && u.OrganisationId == caller.OrganisationId && u.Active, cancellationToken);
        if (user is null)
        {
            return new ApiProblem(StatusCodes.Status401Unauthorized, ProblemCodes.InvalidToken, "Sign in again.",
                "This account no longer exists or is disabled.");
        }

        return TypedResults.Ok(new MeResponse(user.Id, user.Email, user.DisplayName, user.Role.ToString(), user.OrganisationId,
            user.Organisation.Name,
            user.PhoneNumber is null ? null : Phones.Mask(user.PhoneNumber), User.LocaleFor(user, user.Organisation)));
    }

    private static ApiProblem InvalidCredentials() =>
        new ApiProblem(StatusCodes.Status401Unauthorized, ProblemCodes.InvalidCredentials, "Wrong e-mail address or password.",
            "The e-mail address or the password is not right. Check both and try again.");

    private static ApiProblem InvalidToken() =>
        new ApiProblem(StatusCodes.Status401Unauthorized, ProblemCodes.InvalidToken, "Sign in again.",
            "This refresh token is not valid (expired, revoked or unknown).");

    /// <summary>Also answered by a password change (AccountSecurityApi) that meets the same lock.</summary>
    public static ApiProblem AccountLocked(DateTimeOffset until, DateTimeOffset now) =>
        new ApiProblem(StatusCodes.Status429TooManyRequests, ProblemCodes.AccountLocked, "Account temporarily locked.",
            "Too many wrong passwords. Wait until the lock ends, then try again, or ask your administrator.")
            .With("lockedUntil", until).WithRetryAfter(until - now);
}
