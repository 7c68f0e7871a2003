using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace FlexWhere.Accounts.Auth;

/// <summary>The caller's live session, as checked for this request.</summary>
public sealed record SessionState(UserSession Session, bool PinRequired, bool HasPin)
{
    public bool NeedsPinSetup => Session.Client == Clients.Mobile && PinRequired && !HasPin;
}

/// <summary>Marks the endpoints a mobile session may call before it has set the PIN its organisation requires.</summary>
public sealed class AllowedBeforePinSetup;

/// <summary>Opening, checking and ending sessions.</summary>
public static class Sessions
{
    private static readonly TimeSpan LastSeenGranularity = TimeSpan.FromMinutes(1);

    public static UserSession Open(AccountsDbContext db, User user, string client, IReadOnlyCollection<string> amr, bool secondFactorNow,
        Guid? trustedDeviceId,
        DateTimeOffset now, SessionLimits options, Guid? id = null)
    {
        var session = new UserSession
        {
            Client = client,
            Role = user.Role,
            Amr = [.. amr],
            Acr = Assurance.AcrFor(amr),
            AuthTime = now,
            PasswordAt = now,
            SecondFactorAt = secondFactorNow ? now : null,
            TrustedDeviceId = trustedDeviceId,
            ExpiresAt = now + options.LifetimeFor(client),
            LastSeenAt = now,
        }.BelongingTo(user, now, id);
        db.Sessions.Add(session);
        return session;
    }

    public static bool IsLive(UserSession session, DateTimeOffset now, SessionLimits options) =>
        session.RevokedAt is null && session.ExpiresAt > now && session.LastSeenAt + options.IdleTimeoutFor(session.Client) > now;

    /// <summary>Ends the sessions the filter selects, with their refresh tokens; returns how many ended.</summary>
    public static async Task<int> EndAsync(AccountsDbContext db, System.Linq.Expressions.Expression<Func<UserSession, bool>> which,
        DateTimeOffset now, string reason,
        CancellationToken cancellationToken)
    {
        var ids = await db.Sessions.Where(which).Where(s => s.RevokedAt == null).Select(s => s.Id).ToListAsync(cancellationToken);
        if (ids.Count == 0) return 0;
        await db.Sessions.Where(s => ids.Contains(s.Id) && s.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.RevokedAt, now).SetProperty(s => s.RevokedReason, reason), cancellationToken);
        await db.RefreshTokens.Where(t => ids.Contains(t.SessionId) && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, now).SetProperty(t => t.RevokedReason, reason), cancellationToken);
        return ids.Count;
    }

    public static Task<int> EndAsync(AccountsDbContext db, Guid sessionId, DateTimeOffset now, string reason,
        CancellationToken cancellationToken) =>
        EndAsync(db, s => s.Id == sessionId, now, reason, cancellationToken);

    public static Task<int> EndForUserAsync(AccountsDbContext db, Guid userId, DateTimeOffset now, string reason,
        CancellationToken cancellationToken, Guid? except = null) =>
        EndAsync(db, s => s.UserId == userId && s.Id != except, now, reason, cancellationToken);

    /// <summary>Runs when the bearer token's signature and lifetime are good: the session it names must
    /// still be live and belong to the token's user.</summary>
    public static async Task ValidateAsync(TokenValidatedContext context)
    {
        var http = context.HttpContext;
        var principal = context.Principal!;
        if (!Guid.TryParse(principal.FindFirstValue(TokenClaims.Session), out var sessionId)
            || !Guid.TryParse(principal.FindFirstValue(TokenClaims.Subject), out var userId))
        {
            context.Fail("The access token names no session.");
            return;
        }

        var db = http.RequestServices.GetRequiredService<AccountsDbContext>();
        var options = http.RequestServices.GetRequiredService<IOptions<SessionLimits>>().Value;
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var row = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId)
            .Select(s => new
            {
                Session = s,
                PinRequired = db.Organisations.Where(o => o.Id == s.OrganisationId).Select(o => o.MobilePinRequired).FirstOrDefault(),
                HasPin = db.MobilePins.Any(p => p.SessionId == s.Id),
            })
            .SingleOrDefaultAsync(http.RequestAborted);
        if (row is null || row.Session.UserId != userId || !IsLive(row.Session, now, options))
        {
            http.Items[SessionEndedKey] = true;
            context.Fail("The session has ended.");
            return;
        }

        if (now - row.Session.LastSeenAt >= LastSeenGranularity)
        {
            await db.Sessions.Where(s => s.Id == sessionId)
                .ExecuteUpdateAsync(set => set.SetProperty(s => s.LastSeenAt, now), http.RequestAborted);
        }

        http.Features.Set(new SessionState(row.Session, row.PinRequired, row.HasPin));
    }

    private const string SessionEndedKey = "flexwhere.session-ended";

    /// <summary>A refused bearer token gets a problem saying what to do, not an empty 401.</summary>
    public static async Task ChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var http = context.HttpContext;
        http.Response.Headers.WWWAuthenticate = "Bearer";
        var ended = http.Items.ContainsKey(SessionEndedKey);
        var problem = ended
            ? new ApiProblem(StatusCodes.Status401Unauthorized, ProblemCodes.SessionRevoked, "Sign in again.",
                "This session has ended (signed out, expired, idle too long, or revoked after a change to the account). Sign in again.")
            : context.AuthenticateFailure is null
                ? new ApiProblem(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized, "Sign in first.",
                    "This needs an access token: sign in, then send it as 'Authorization: Bearer …'.")
                : new ApiProblem(StatusCodes.Status401Unauthorized, ProblemCodes.InvalidToken, "Sign in again.",
                    "The access token is not valid or has expired: refresh it, or sign in again.");
        await problem.WriteAsync(http);
    }

    /// <summary>In an organisation that requires a PIN, a mobile session without one may only set it.</summary>
    public static IApplicationBuilder UsePinSetupRule(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var state = http.Features.Get<SessionState>();
        if (state is { NeedsPinSetup: true } && http.GetEndpoint()?.Metadata.GetMetadata<AllowedBeforePinSetup>() is null)
        {
            await new ApiProblem(StatusCodes.Status403Forbidden, ProblemCodes.PinSetupRequired, "Set your PIN first.",
                "Your organisation requires a PIN in the app: set one (PUT /api/me/pin) before anything else.").WriteAsync(http);
            return;
        }

        await next(http);
    });
}
