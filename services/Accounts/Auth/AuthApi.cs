using System.Security.Claims;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Data;
using FlexWhere.Accounts.Mfa;
using FlexWhere.Accounts.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FlexWhere.Accounts.Auth;

public sealed record LoginRequest(string? Email, string? Password, string? Client, string? DeviceToken);

public sealed record RefreshRequest(string? RefreshToken);

public sealed record MeResponse(Guid Id, string Email, string DisplayName, string Role, Guid OrganisationId, string Organisation, string? PhoneHint);

public static class Clients
{
    public const string ControlCentre = "control-centre";
    public const string Mobile = "mobile";
}

public static class AuthApi
{
    public const string SignInRateLimit = "sign-in";
    private const int MaxPasswordLength = 1024;

    // Verified when the e-mail is unknown, so that answer takes as long as a wrong password.
    private static readonly Lazy<string> DummyHash = new(() => new PasswordHasher<User>().HashPassword(null!, "no-such-user-" + Guid.NewGuid()));

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Sign-in").RequireRateLimiting(SignInRateLimit);
        auth.MapPost("/login", Login).WithName("Login").WithSummary("Sign in with e-mail address and password (first factor).");
        auth.MapPost("/refresh", Refresh).WithName("Refresh").WithSummary("Exchange a refresh token for new tokens; the old one stops working.");
        auth.MapPost("/logout", Logout).WithName("Logout").WithSummary("Revoke the session of a refresh token.");

        app.MapGet("/api/me", Me).WithTags("Sign-in").RequireAuthorization().WithName("Me").WithSummary("The signed-in user.");
        app.MapGet("/.well-known/jwks.json", (SigningKey key) => TypedResults.Ok(key.Jwks()))
            .WithTags("Sign-in").WithName("Jwks").WithSummary("Public keys that verify access tokens.");
        return app;
    }

    public static async Task<Results<Ok<SignedIn>, Ok<MfaRequired>, ProblemHttpResult>> Login(
        LoginRequest? request, SignInContext context, IPasswordHasher<User> hasher, IOptions<PasswordSignInOptions> options,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (db, http, time) = (context.Db, context.Http, context.Time);
        var logger = loggers.CreateLogger("FlexWhere.Accounts.SignIn");
        if (request?.Email is { Length: > 0 } login && !login.Contains('@'))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "username_login_disabled", "Sign in with your e-mail address.",
                "Usernames are no longer supported: sign in with your e-mail address (name@example.com).");
        }

        if (string.IsNullOrWhiteSpace(request?.Email) || request.Email.Length > 254 || string.IsNullOrEmpty(request.Password)
            || request.Password.Length > MaxPasswordLength || request.Client is not (Clients.ControlCentre or Clients.Mobile)
            || request.DeviceToken is { Length: > OpaqueTokens.MaxLength })
        {
            return Problems.Validation("Send email, password and client (\"control-centre\" or \"mobile\").");
        }

        var normalized = User.Normalize(request.Email);
        var user = await db.Users.Include(u => u.Organisation).SingleOrDefaultAsync(u => u.NormalizedEmail == normalized, cancellationToken);
        var now = time.GetUtcNow();
        if (user is null)
        {
            hasher.VerifyHashedPassword(null!, DummyHash.Value, request.Password);
            logger.LogInformation("Sign-in failed: unknown account");
            return InvalidCredentials();
        }

        if (user.LockedUntil > now)
        {
            Problems.SetRetryAfter(http, user.LockedUntil.Value - now);
            return AccountLocked(user.LockedUntil.Value);
        }

        var verdict = hasher.VerifyHashedPassword(user, user.PasswordHash ?? DummyHash.Value, request.Password);
        if (user.PasswordHash is null || verdict == PasswordVerificationResult.Failed)
        {
            return await RecordFailureAsync(db, user, options.Value, time, http, logger, cancellationToken);
        }

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded) user.PasswordHash = hasher.HashPassword(user, request.Password);
        user.FailedSignInCount = 0;
        user.LockedUntil = null;

        if (!user.Active)
        {
            db.Record(http, time, user.OrganisationId, AuditEvents.SignInRefused, subject: user.Id, details: "account disabled");
            await db.SaveChangesAsync(cancellationToken);
            return Problems.Create(StatusCodes.Status403Forbidden, "account_disabled", "This account is disabled.",
                "Your account has been disabled. Ask your administrator.");
        }

        // The Control Centre always asks for a second factor: MFA there cannot be switched off.
        if (request.Client == Clients.ControlCentre) return await SmsSignIn.StartAsync(context, user, request.DeviceToken, cancellationToken);

        if (user.Organisation.MobileTotpRequired)
        {
            // The authenticator-app step is not built yet: never hand out tokens without it.
            db.Record(http, time, user.OrganisationId, AuditEvents.SignInRefused, subject: user.Id, details: "second factor not available");
            await db.SaveChangesAsync(cancellationToken);
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "mfa_unavailable", "Second factor not available.",
                "This account needs a second factor, which is not available yet.");
        }

        return TypedResults.Ok(await context.CompleteAsync(user, request.Client, Guid.CreateVersion7(now), cancellationToken));
    }

    private static async Task<ProblemHttpResult> RecordFailureAsync(AccountsDbContext db, User user, PasswordSignInOptions options, TimeProvider time,
        HttpContext http, ILogger logger, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var lockUntil = now.AddMinutes(options.LockoutMinutes);
        var max = options.MaxFailedAttempts;

        // One atomic UPDATE, so parallel guesses cannot slip past the limit between a read and a write.
        await db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(set => set
            .SetProperty(u => u.LockedUntil, u => u.FailedSignInCount + 1 >= max ? lockUntil : u.LockedUntil)
            .SetProperty(u => u.FailedSignInCount, u => u.FailedSignInCount + 1 >= max ? 0 : u.FailedSignInCount + 1), cancellationToken);
        var lockedUntil = await db.Users.Where(u => u.Id == user.Id).Select(u => u.LockedUntil).SingleAsync(cancellationToken);

        db.Record(http, time, user.OrganisationId, AuditEvents.SignInFailed, subject: user.Id, details: "wrong password");
        if (lockedUntil > now)
        {
            logger.LogWarning("Account {UserId} locked until {LockedUntil} after {Attempts} wrong passwords", user.Id, lockUntil, max);
            db.Record(http, time, user.OrganisationId, AuditEvents.AccountLocked, subject: user.Id, details: $"{max} consecutive wrong passwords; locked for {options.LockoutMinutes} min");
            await db.SaveChangesAsync(cancellationToken);
            Problems.SetRetryAfter(http, lockUntil - now);
            return AccountLocked(lockUntil);
        }

        await db.SaveChangesAsync(cancellationToken);
        return InvalidCredentials();
    }

    public static async Task<Results<Ok<SignedIn>, ProblemHttpResult>> Refresh(
        RefreshRequest? request, AccountsDbContext db, Tokens tokens, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request?.RefreshToken) || request.RefreshToken.Length > 200) return InvalidToken();

        var hash = Tokens.Hash(request.RefreshToken);
        var now = time.GetUtcNow();
        var token = await db.RefreshTokens.SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (token is null || token.ExpiresAt <= now) return InvalidToken();

        // Conditional on "not yet revoked": of two requests with the same token only one rotates it.
        var rotated = token.RevokedAt is null && await db.RefreshTokens
            .Where(t => t.Id == token.Id && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, now).SetProperty(t => t.RevokedReason, "rotated"), cancellationToken) == 1;
        if (!rotated)
        {
            // A used token came back: someone holds a copy. End the whole session.
            await RevokeSessionAsync(db, token.SessionId, now, "reuse", cancellationToken);
            db.Record(http, time, token.OrganisationId, AuditEvents.TokenReuseDetected, subject: token.UserId, details: $"session {token.SessionId} revoked");
            await db.SaveChangesAsync(cancellationToken);
            return InvalidToken();
        }

        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == token.UserId, cancellationToken);
        if (user is not { Active: true })
        {
            await RevokeSessionAsync(db, token.SessionId, now, "user_disabled", cancellationToken);
            return InvalidToken();
        }

        var signedIn = tokens.Issue(db, user, token.SessionId, token.Client);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(signedIn);
    }

    public static async Task<NoContent> Logout(RefreshRequest? request, AccountsDbContext db, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request?.RefreshToken) || request.RefreshToken.Length > 200) return TypedResults.NoContent();

        var hash = Tokens.Hash(request.RefreshToken);
        var token = await db.RefreshTokens.SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (token is not null)
        {
            await RevokeSessionAsync(db, token.SessionId, time.GetUtcNow(), "logout", cancellationToken);
            db.Record(http, time, token.OrganisationId, AuditEvents.TokenRevoked, actor: token.UserId, subject: token.UserId, details: "signed out");
            await db.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.NoContent();
    }

    public static Task<int> RevokeSessionAsync(AccountsDbContext db, Guid sessionId, DateTimeOffset now, string reason, CancellationToken cancellationToken) =>
        db.RefreshTokens.Where(t => t.SessionId == sessionId && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, now).SetProperty(t => t.RevokedReason, reason), cancellationToken);

    public static Task<int> RevokeUserTokensAsync(AccountsDbContext db, Guid userId, DateTimeOffset now, string reason, CancellationToken cancellationToken) =>
        db.RefreshTokens.Where(t => t.UserId == userId && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, now).SetProperty(t => t.RevokedReason, reason), cancellationToken);

    public static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> Me(ClaimsPrincipal principal, AccountsDbContext db, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var user = await db.Users.Include(u => u.Organisation)
            .SingleOrDefaultAsync(u => u.Id == caller.UserId && u.OrganisationId == caller.OrganisationId && u.Active, cancellationToken);
        if (user is null)
        {
            return Problems.Create(StatusCodes.Status401Unauthorized, "invalid_token", "Sign in again.", "This account no longer exists or is disabled.");
        }

        return TypedResults.Ok(new MeResponse(user.Id, user.Email, user.DisplayName, user.Role.ToString(), user.OrganisationId, user.Organisation.Name,
            user.PhoneNumber is null ? null : Phones.Mask(user.PhoneNumber)));
    }

    private static ProblemHttpResult InvalidCredentials() =>
        Problems.Create(StatusCodes.Status401Unauthorized, "invalid_credentials", "Wrong e-mail address or password.",
            "The e-mail address or the password is not right. Check both and try again.");

    private static ProblemHttpResult InvalidToken() =>
        Problems.Create(StatusCodes.Status401Unauthorized, "invalid_token", "Sign in again.", "This refresh token is not valid (expired, revoked or unknown).");

    private static ProblemHttpResult AccountLocked(DateTimeOffset until) =>
        Problems.Create(StatusCodes.Status429TooManyRequests, "account_locked", "Account temporarily locked.",
            "Too many wrong passwords. Wait until the lock ends, then try again, or ask your administrator.",
            new Dictionary<string, object?> { ["lockedUntil"] = until });
}
