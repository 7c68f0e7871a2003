using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Auth;
using FlexWhere.Accounts.Mfa;
using FlexWhere.Accounts.Users;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlexWhere.Accounts.Mobile;

public sealed record TotpEnrollRequest(string? LoginTicket);

/// <summary>FlexWhere for Mobile's second factor when the organisation requires TOTP: a login ticket
/// of method <c>totp</c> (enrolled) or <c>totp_enrollment</c> (enroll first, the first valid code confirms).</summary>
public static class TotpSignIn
{
    public static IEndpointRouteBuilder MapTotpApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/totp/enroll", Enroll).WithTags("Sign-in").RequireRateLimiting(AuthApi.SignInRateLimit).WithName("EnrollTotp")
            .WithSummary("For a login ticket of method totp_enrollment: a new authenticator secret (base32, otpauth URI, QR code as SVG); the first valid code at /api/auth/mfa/verify confirms it.");
        return app;
    }

    /// <summary>After the right password on mobile, when the organisation requires TOTP.</summary>
    public static async Task<Ok<MfaRequired>> StartAsync(SignInContext context, User user, CancellationToken cancellationToken)
    {
        var method = await MobileTotp.IsEnrolledAsync(context.Db, user.Id, cancellationToken) ? SecondFactors.Totp : SecondFactors.TotpEnrollment;
        var (ticket, expiresAt) = context.IssueLoginTicket(user, Clients.Mobile, method);
        await context.Db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new MfaRequired("mfa_required", method, ticket, null, expiresAt, null));
    }

    public static async Task<Results<Ok<TotpEnrollmentResponse>, ProblemHttpResult>> Enroll(
        TotpEnrollRequest? request, SignInContext context, MobileTotp totp, CancellationToken cancellationToken)
    {
        if (!OpaqueTokens.LooksValid(request?.LoginTicket)) return Problems.Validation("Send loginTicket (from the sign-in answer with method totp_enrollment).");

        var (ticket, user, problem) = await MfaApi.OpenAsync(context, request!.LoginTicket!, cancellationToken);
        if (problem is not null) return problem;
        if (ticket!.Method != SecondFactors.TotpEnrollment) return AlreadyEnrolled();

        var enrollment = await totp.StartEnrollmentAsync(context.Db, user!, context.Http, cancellationToken);
        return enrollment is null ? AlreadyEnrolled() : TypedResults.Ok(enrollment);
    }

    /// <summary>The code from the authenticator app. Right → tokens (and, for an enrollment, the authenticator is confirmed).</summary>
    public static async Task<Results<Ok<SignedIn>, ProblemHttpResult>> VerifyAsync(
        SignInContext context, MobileTotp totp, LoginTicket ticket, User user, string code, CancellationToken cancellationToken)
    {
        var (db, http, time) = (context.Db, context.Http, context.Time);
        if (ticket.Method == SecondFactors.Totp && !await MobileTotp.IsEnrolledAsync(db, user.Id, cancellationToken))
        {
            // The authenticator was reset after this ticket was issued.
            await MfaApi.ConsumeAsync(db, ticket, time.GetUtcNow(), cancellationToken);
            return MfaApi.ChallengeExpired();
        }

        var outcome = await totp.VerifyAsync(db, user, code, http, cancellationToken);
        switch (outcome.Verdict)
        {
            case TotpVerdict.NotEnrolled:
                return Problems.Create(StatusCodes.Status409Conflict, "totp_not_enrolled", "Set up your authenticator app first.",
                    "Get your authenticator secret with POST /api/auth/totp/enroll, add it to your app, then send the code it shows.");
            case TotpVerdict.Locked:
                await MfaApi.ConsumeAsync(db, ticket, time.GetUtcNow(), cancellationToken);
                Problems.SetRetryAfter(http, outcome.LockedUntil!.Value - time.GetUtcNow());
                return Problems.Create(StatusCodes.Status429TooManyRequests, "too_many_attempts", "Too many wrong codes.",
                    "Too many wrong authenticator codes for your account. Wait until the lock ends, then sign in again.",
                    new Dictionary<string, object?> { ["lockedUntil"] = outcome.LockedUntil });
            case TotpVerdict.Wrong or TotpVerdict.Replayed:
                var attemptsLeft = await MfaApi.CountFailureAsync(context, ticket, cancellationToken);
                return attemptsLeft == 0 ? MfaApi.TooManyAttempts() : MfaApi.InvalidCode(attemptsLeft);
        }

        if (!await MfaApi.ConsumeAsync(db, ticket, time.GetUtcNow(), cancellationToken)) return MfaApi.ChallengeExpired();
        db.Record(http, time, user.OrganisationId, AuditEvents.MfaVerified, actor: user.Id, subject: user.Id,
            details: outcome.Confirmed ? "authenticator app (enrollment confirmed)" : "authenticator app");
        return TypedResults.Ok(await context.CompleteAsync(user, ticket.Client, Guid.CreateVersion7(time.GetUtcNow()), cancellationToken));
    }

    private static ProblemHttpResult AlreadyEnrolled() =>
        Problems.Create(StatusCodes.Status409Conflict, "totp_already_enrolled", "Your authenticator app is already set up.",
            "Sign in with the code from your authenticator app. Lost it? Ask your administrator to reset your sign-in.");
}
