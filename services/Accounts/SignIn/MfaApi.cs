namespace FlexWhere.Accounts.Mfa;

/// <param name="Method">Control Centre: <c>sms</c> or <c>totp</c> when the code is from another factor than the ticket's
/// <c>method</c> (one of the sign-in answer's <c>methods</c>); absent: the ticket's.</param>
public sealed record MfaVerifyRequest(string? LoginTicket, string? Code, bool RememberDevice = false, string? DeviceName = null,
    string? Method = null);

public sealed record MfaResendRequest(string? LoginTicket);

public sealed record MfaRecoverRequest(string? LoginTicket, string? RecoveryCode, bool RememberDevice = false, string? DeviceName = null);

public sealed record MfaResent(DateTimeOffset ResendAfter, DateTimeOffset ExpiresAt);

/// <summary>An SMS sign-in's code as its user may see it: <c>status</c> pending, verified, locked or expired;
/// <c>delivery.state</c> queued, not_sent, sent, delivered or failed.</summary>
public sealed record MfaStatus(
    string Status, string PhoneHint, DateTimeOffset ExpiresAt, DateTimeOffset ResendAfter, int AttemptsLeft, MfaDelivery Delivery);

/// <param name="Reason">Why the text failed or was not sent, when it did not arrive.</param>
public sealed record MfaDelivery(string State, DateTimeOffset? At, string? Reason);

/// <summary>The second step of a sign-in, for a client holding a login ticket.</summary>
public static class MfaApi
{
    public static IEndpointRouteBuilder MapMfaApi(this IEndpointRouteBuilder app)
    {
        var mfa = app.MapGroup("/api/auth/mfa").WithTags("Sign-in");
        mfa.MapPost("/verify", Verify).WithName("VerifySecondFactor")
            .WithSummary("Send the code (SMS or authenticator app) for a login ticket; with rememberDevice, also get a device token that " +
                "skips the SMS for 30 days.");
        mfa.MapPost("/resend", Resend).WithName("ResendCode").WithSummary("Send a new SMS code for a login ticket.");
        mfa.MapGet("/status", Status).WithName("SecondFactorStatus")
            .WithSummary($"Whether the SMS code of a login ticket ({LoginTicketHeader} header) was delivered, and how long it works.");
        mfa.MapPost("/recover", Recover).WithName("RecoverWithCode")
            .WithSummary("Sign in with one of your recovery codes when your phone is lost.");
        return app;
    }

    public static async Task<Results<Ok<SignedIn>, ApiProblem>> Verify(
        MfaVerifyRequest? request, SignInContext context, MobileTotp totp, SecondFactorGuard guard, CancellationToken cancellationToken)
    {
        if (!OpaqueTokens.LooksValid(request?.LoginTicket) || request!.Code is not { Length: > 0 and <= 16 })
        {
            return ApiProblem.Validation(OpaqueTokens.LooksValid(request?.LoginTicket) ? "code" : "loginTicket",
                "Send loginTicket and code (the six digits from the text message or the app).");
        }

        if (request.DeviceName is { Length: > TrustedDevice.MaxNameLength }) return ApiProblem.Validation("deviceName",
            $"deviceName is at most {TrustedDevice.MaxNameLength} characters.");

        var code = new string(request.Code.Where(c => !char.IsWhiteSpace(c)).ToArray());
        if (code.Length != 6 || !code.All(char.IsAsciiDigit)) return ApiProblem.Validation("code", "The code has six digits.");

        var (ticket, user, problem) = await OpenAsync(context, request.LoginTicket!, cancellationToken);
        if (problem is not null) return problem;

        var method = request.Method ?? ticket!.Method;
        if (ticket!.Client == Clients.ControlCentre)
        {
            // The rules as they are now: a factor the organisation dropped since the password no longer finishes the sign-in.
            var methods = await SecondFactorMethods.ForControlCentreAsync(context.Db, user!, cancellationToken);
            if (!methods.Contains(method) || method is SecondFactors.Passkey or SecondFactors.RecoveryCode)
            {
                return SecondFactorMethods.NotAllowed(method, [.. methods.Where(m => m is SecondFactors.Sms or SecondFactors.Totp)]);
            }
        }
        else if (method != ticket.Method)
        {
            return SecondFactorMethods.NotAllowed(method, [ticket.Method]);
        }

        return method switch
        {
            SecondFactors.Sms when ticket.ChallengeId is null => new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.CodeNotSent,
                "No code was sent yet.", "Ask for the code by text message first: POST /api/auth/mfa/sms with your loginTicket."),
            SecondFactors.Sms => await SmsSignIn.VerifyAsync(context, guard, ticket, user!, code, request.RememberDevice,
                request.DeviceName, cancellationToken),
            SecondFactors.Totp or SecondFactors.TotpEnrollment => await TotpSignIn.VerifyAsync(context, totp, guard, ticket, user!, code,
                cancellationToken, request.RememberDevice, request.DeviceName),
            _ => ChallengeExpired(),
        };
    }

    public static async Task<Results<Ok<MfaResent>, ApiProblem>> Resend(MfaResendRequest? request, SignInContext context,
        CancellationToken cancellationToken)
    {
        if (!OpaqueTokens.LooksValid(request?.LoginTicket)) return ApiProblem.Validation("loginTicket", "Send loginTicket.");

        var (ticket, user, problem) = await OpenAsync(context, request!.LoginTicket!, cancellationToken);
        if (problem is not null) return problem;
        if (ticket!.ChallengeId is null)
        {
            return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.NotAnSmsSignIn, "Nothing to resend.",
                "This sign-in uses your authenticator app, not a text message.");
        }

        var (resent, failure) = await context.Challenges.ResendAsync(ticket.ChallengeId!, cancellationToken);
        if (failure is not null)
        {
            if (failure.Refusal is { EndsChallenge: true })
            {
                await ConsumeAsync(context.Db, ticket, context.Time.GetUtcNow(), cancellationToken);
                return ChallengeExpired();
            }

            return SmsSignIn.Passthrough(failure);
        }

        context.Audit.About(user!, AuditEvents.MfaCodeSent, $"new sign-in code to {Phones.Mask(user!.PhoneNumber!)}");
        await context.Db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new MfaResent(resent!.ResendAfter, resent.ExpiresAt));
    }

    /// <summary>The login ticket of <see cref="Status"/>: a GET has no body, and a URL ends up in logs.</summary>
    public const string LoginTicketHeader = "X-Login-Ticket";

    public static async Task<Results<Ok<MfaStatus>, ApiProblem>> Status(
        HttpContext http, SignInContext context, CancellationToken cancellationToken)
    {
        var loginTicket = http.Request.Headers[LoginTicketHeader].ToString();
        if (!OpaqueTokens.LooksValid(loginTicket))
        {
            return ApiProblem.Validation(LoginTicketHeader, $"Send the login ticket in the {LoginTicketHeader} header.");
        }

        var (ticket, _, problem) = await OpenAsync(context, loginTicket, cancellationToken);
        if (problem is not null) return problem;
        if (ticket!.ChallengeId is null)
        {
            return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.NotAnSmsSignIn, "No text message to follow.",
                "This sign-in uses your authenticator app, not a text message.");
        }

        var (status, failure) = await context.Challenges.StatusAsync(ticket.ChallengeId, cancellationToken);
        if (failure is not null)
        {
            if (failure.Refusal is not { EndsChallenge: true }) return SmsSignIn.Passthrough(failure);
            await ConsumeAsync(context.Db, ticket, context.Time.GetUtcNow(), cancellationToken);
            return ChallengeExpired();
        }

        var delivery = new MfaDelivery(status!.Delivery.State, status.Delivery.At, status.Delivery.Reason);
        // The number the code went to, which is the user's unless it changed since.
        return TypedResults.Ok(new MfaStatus(
            status.Status, status.MaskedDestination, status.ExpiresAt, status.ResendAfter, status.AttemptsLeft, delivery));
    }

    public static async Task<Results<Ok<SignedIn>, ApiProblem>> Recover(
        MfaRecoverRequest? request, SignInContext context, SecondFactorGuard guard, CancellationToken cancellationToken)
    {
        if (request?.DeviceName is { Length: > TrustedDevice.MaxNameLength }) return ApiProblem.Validation("deviceName",
            $"deviceName is at most {TrustedDevice.MaxNameLength} characters.");
        if (!OpaqueTokens.LooksValid(request?.LoginTicket) || request!.RecoveryCode is not { Length: > 0 and <= 64 })
        {
            return ApiProblem.Validation(OpaqueTokens.LooksValid(request?.LoginTicket) ? "recoveryCode" : "loginTicket",
                "Send loginTicket and recoveryCode (one of the codes you saved, like ABCD-EFGH-JKMN-PQRS-TVWX-YZ12).");
        }

        var (ticket, user, problem) = await OpenAsync(context, request.LoginTicket!, cancellationToken);
        if (problem is not null) return problem;

        var (db, time, audit) = (context.Db, context.Time, context.Audit);
        var now = time.GetUtcNow();
        var locked = await guard.EnterAsync(db, user!, cancellationToken);
        if (locked is not null) return locked;
        if (!await RecoveryCodes.TryUseAsync(db, user!.Id, request.RecoveryCode, now, cancellationToken))
        {
            var attemptsLeft = await CountFailureAsync(context, ticket!, cancellationToken);
            audit.About(user, AuditEvents.RecoveryCodeFailed, $"{attemptsLeft} attempts left");
            await db.SaveChangesAsync(cancellationToken);
            var lockedNow = await guard.FailedAsync(db, audit, user, "recovery code", cancellationToken);
            if (lockedNow is not null) return lockedNow;
            return attemptsLeft == 0
                ? TooManyAttempts()
                : new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRecoveryCode, "That recovery code does not work.",
                    "The code is wrong or was already used. Each recovery code works once; check what you typed, "
                    + "or ask your administrator to reset your sign-in.")
                        .With("attemptsLeft", attemptsLeft);
        }

        if (!await ConsumeAsync(db, ticket!, now, cancellationToken)) return ChallengeExpired();
        await guard.SucceededAsync(db, user, cancellationToken);
        var left = await db.RecoveryCodes.CountAsync(c => c.UserId == user.Id && c.UsedAt == null, cancellationToken);
        audit.BySelf(user, AuditEvents.RecoveryCodeUsed, $"{left} recovery codes left");
        await context.Notices.AddAsync(user, EmailTemplates.RecoveryCodeUsed, locale => EmailTemplates.When(now, locale), cancellationToken);
        // A trusted device works the same after every factor, a recovery code too.
        var signedIn = await context.CompleteSecondFactorAsync(user, ticket!, [AuthMethods.Password, AuthMethods.RecoveryCode],
            request.RememberDevice, request.DeviceName, cancellationToken);
        return TypedResults.Ok(signedIn with { RecoveryCodesLeft = left });
    }

    /// <summary>The ticket and its user, when the ticket is still good for this user as they are now.</summary>
    public static async Task<(LoginTicket? Ticket, User? User, ApiProblem? Problem)> OpenAsync(SignInContext context, string loginTicket,
        CancellationToken cancellationToken)
    {
        var hash = OpaqueTokens.Hash(loginTicket);
        var now = context.Time.GetUtcNow();
        var ticket = await context.Db.LoginTickets.SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        // A step-up ticket proves a factor for a session that exists: it never opens one.
        if (ticket is null || !ticket.IsUsable(now) || ticket.StepUpSessionId is not null) return (null, null, ChallengeExpired());

        var user = await context.Db.Users.Include(u => u.Organisation).SingleOrDefaultAsync(u => u.Id == ticket.UserId, cancellationToken);
        if (user is null || !user.Active || user.Role != ticket.Role || user.OrganisationId != ticket.OrganisationId)
        {
            await ConsumeAsync(context.Db, ticket, now, cancellationToken);
            return (null, null, ChallengeExpired());
        }

        return (ticket, user, null);
    }

    /// <summary>Ends the ticket; false when another request ended it first (so only one of two
    /// simultaneous right answers signs in).</summary>
    public static async Task<bool> ConsumeAsync(AccountsDbContext db, LoginTicket ticket, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var consumed = await db.LoginTickets.Where(t => t.Id == ticket.Id && t.ConsumedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.ConsumedAt, now), cancellationToken) == 1;
        ticket.ConsumedAt ??= now;
        return consumed;
    }

    /// <summary>Counts a wrong answer on the ticket and returns the attempts left; at zero the ticket is dead.</summary>
    public static async Task<int> CountFailureAsync(SignInContext context, LoginTicket ticket, CancellationToken cancellationToken)
    {
        var max = context.Options.MaxAttemptsPerTicket;
        var now = context.Time.GetUtcNow();
        await context.Db.LoginTickets.Where(t => t.Id == ticket.Id).ExecuteUpdateAsync(set => set
            .SetProperty(t => t.FailedAttempts, t => t.FailedAttempts + 1)
            .SetProperty(t => t.ConsumedAt, t => t.FailedAttempts + 1 >= max ? now : t.ConsumedAt), cancellationToken);
        var failed = await context.Db.LoginTickets.Where(t => t.Id == ticket.Id).Select(t => t.FailedAttempts)
            .SingleAsync(cancellationToken);
        return Math.Max(0, max - failed);
    }

    public static ApiProblem InvalidCode(int attemptsLeft) =>
        new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidCode, "Wrong code.",
            $"That code is not right. You have {attemptsLeft} more {(attemptsLeft == 1 ? "try" : "tries")}.")
                .With("attemptsLeft", attemptsLeft);

    public static ApiProblem TooManyAttempts() =>
        new ApiProblem(StatusCodes.Status429TooManyRequests, ProblemCodes.TooManyAttempts, "Too many wrong codes.",
            "Too many wrong codes were entered, so this sign-in has ended. Sign in again to get a new code.");

    public static ApiProblem ChallengeExpired() =>
        new ApiProblem(StatusCodes.Status410Gone, ProblemCodes.ChallengeExpired, "This sign-in has expired.",
            "The code or this sign-in has expired or was already used. Sign in again with your e-mail address and password.");
}
