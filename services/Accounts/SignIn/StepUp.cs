namespace FlexWhere.Accounts.Auth;

/// <param name="Method"><c>sms</c> (with stepUpTicket and code), <c>totp</c> (code), <c>recovery_code</c> (code),
/// or <c>password</c> (only for accounts without a second factor).</param>
public sealed record StepUpRequest(string? Method, string? Code = null, string? StepUpTicket = null, string? Password = null)
{
    /// <summary>For <c>passkey</c>: the prompt from <c>POST /api/auth/step-up/passkey/options</c> and the browser's answer.</summary>
    public Guid? CeremonyId { get; init; }

    public System.Text.Json.JsonElement Credential { get; init; }
}

public sealed record StepUpSmsSent(string StepUpTicket, string PhoneHint, DateTimeOffset ExpiresAt, DateTimeOffset ResendAfter);

public sealed record SteppedUp(string Status, string Method, DateTimeOffset ValidUntil);

public static class StepUpMethods
{
    public const string Sms = "sms";
    public const string Totp = "totp";
    public const string RecoveryCode = "recovery_code";
    public const string Password = "password";
    public const string Passkey = "passkey";
}

/// <summary>Sensitive changes need a factor proven within the last few minutes, whatever the session
/// proved when it opened (a trusted device proves none now). RFC 9470's insufficient_user_authentication.</summary>
public static class StepUp
{
    public static TBuilder RequireStepUp<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var state = http.Features.Get<SessionState>();
            var options = http.RequestServices.GetRequiredService<IOptions<SessionLimits>>().Value;
            var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
            if (state is not null && IsFresh(state.Session, now, options)) return await next(context);

            var db = http.RequestServices.GetRequiredService<AccountsDbContext>();
            List<string> methods = state is null ? [] : await MethodsAsync(db, state.Session, http.RequestAborted);
            http.Response.Headers.WWWAuthenticate =
                $"Bearer error=\"insufficient_user_authentication\", error_description=\"A recent second factor is required\", " +
                    $"max_age={(int)options.StepUpMaxAge.TotalSeconds}";
            return new ApiProblem(StatusCodes.Status401Unauthorized, ProblemCodes.StepUpRequired, "Confirm it is you.",
                $"This change needs a fresh proof that it is you (within the last {(int)options.StepUpMaxAge.TotalMinutes} minutes): " +
                "POST /api/auth/step-up with one of the methods listed, then send this request again.")
                    .With("methods", methods).With("maxAge", (int)options.StepUpMaxAge.TotalSeconds);
        });

    /// <summary>A session earned with a second factor must prove a second factor again; one earned with the
    /// password alone (an employee without a second factor) proves the password again.</summary>
    public static bool IsFresh(UserSession session, DateTimeOffset now, SessionLimits options)
    {
        var since = now - options.StepUpMaxAge;
        return Assurance.IsMultiFactor(session.Acr) ? session.SecondFactorAt > since : session.PasswordAt > since;
    }

    public static async Task<List<string>> MethodsAsync(AccountsDbContext db, UserSession session, CancellationToken cancellationToken,
        User? user = null)
    {
        if (!Assurance.IsMultiFactor(session.Acr)) return [StepUpMethods.Password];
        user ??= await db.Users.AsNoTracking().Include(u => u.Organisation).SingleAsync(u => u.Id == session.UserId, cancellationToken);
        // The factors that finish a sign-in on this client prove a step-up too (StepUpMethods share their names).
        return await SecondFactorMethods.ForAsync(db, user, session.Client, cancellationToken);
    }

    public static IEndpointRouteBuilder MapStepUpApi(this IEndpointRouteBuilder app)
    {
        var stepUp = app.MapGroup("/api/auth/step-up").WithTags("Sign-in").RequireAuthorization();
        stepUp.MapPost("/sms", SendSms).WithName("StepUpSendSms")
            .WithSummary("Text a code to your number for a step-up; answer it at POST /api/auth/step-up.");
        stepUp.MapPost("/passkey/options", PasskeyOptions).WithName("StepUpPasskeyOptions")
            .WithSummary("Options for navigator.credentials.get() to step up with a passkey; answer at POST /api/auth/step-up.");
        stepUp.MapPost("", Prove).WithName("StepUp")
            .WithSummary("Prove a factor again (SMS code, authenticator code, recovery code; the password for accounts without a second " +
                "factor) so sensitive changes are allowed for a few minutes.");
        return app;
    }

    public static async Task<Results<Ok<StepUpSmsSent>, ApiProblem>> SendSms(ClaimsPrincipal principal, SignInContext context,
        CancellationToken cancellationToken)
    {
        var (session, user, refused) = await OfferingAsync(context, StepUpMethods.Sms, cancellationToken);
        if (refused is not null) return refused;
        var (issued, refusal) = await SmsSignIn.SendCodeAsync(context, user, cancellationToken);
        if (refusal is not null) return refusal;

        var (ticket, _) = context.IssueLoginTicket(user, session.Client, SecondFactors.Sms, issued!.ChallengeId, stepUpSession: session.Id);
        await context.Db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new StepUpSmsSent(ticket, Phones.Mask(user.PhoneNumber!), issued.ExpiresAt, issued.ResendAfter));
    }

    public static async Task<Results<Ok<PasskeyPrompt>, ApiProblem>> PasskeyOptions(SignInContext context, PasskeyCeremonies passkeys,
        CancellationToken cancellationToken)
    {
        var (session, user, refused) = await OfferingAsync(context, StepUpMethods.Passkey, cancellationToken);
        if (refused is not null) return refused;
        return TypedResults.Ok(await passkeys.StartAssertionAsync(user, session.Id, cancellationToken, WebAuthnPurposes.StepUp));
    }

    /// <summary>The caller's session and user, when <paramref name="method"/> may prove a step-up for them.</summary>
    private static async Task<(UserSession Session, User User, ApiProblem? Refused)> OfferingAsync(SignInContext context, string method,
        CancellationToken cancellationToken)
    {
        var session = context.Http.Features.Get<SessionState>()!.Session;
        var user = await context.Db.Users.Include(u => u.Organisation).SingleAsync(u => u.Id == session.UserId, cancellationToken);
        var methods = await MethodsAsync(context.Db, session, cancellationToken, user);
        return (session, user, methods.Contains(method) ? null : MethodNotAvailable(methods));
    }

    private static ApiProblem MethodNotAvailable(List<string> allowed) =>
        new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.StepUpMethodNotAvailable, "This method is not available to you.",
            $"Confirm it is you with one of: {string.Join(", ", allowed)}.").With("methods", allowed);

    public static async Task<Results<Ok<SteppedUp>, ApiProblem>> Prove(
        StepUpRequest? request, SignInContext context, SecondFactorGuard guard, MobileTotp totp, IPasswordHasher<User> hasher,
            IOptions<SessionLimits> options,
        CancellationToken cancellationToken)
    {
        if (request?.Method is not (StepUpMethods.Sms or StepUpMethods.Totp or StepUpMethods.RecoveryCode or StepUpMethods.Password
                or StepUpMethods.Passkey)
            || request.Code is { Length: > 64 } || request.Password is { Length: > PasswordPolicy.MaxPresentedLength }
            || request.StepUpTicket is { Length: > OpaqueTokens.MaxLength })
        {
            return ApiProblem.Validation(request is null ? "body" : "method",
                "Send method (passkey, sms, totp, recovery_code or password) with code (and stepUpTicket for sms), password, or "
                + "ceremonyId and credential for a passkey.");
        }

        var (db, http, time, audit) = (context.Db, context.Http, context.Time, context.Audit);
        var session = http.Features.Get<SessionState>()!.Session;
        var user = await db.Users.Include(u => u.Organisation).SingleAsync(u => u.Id == session.UserId, cancellationToken);
        var allowed = await MethodsAsync(db, session, cancellationToken, user);
        if (!allowed.Contains(request.Method)) return MethodNotAvailable(allowed);

        var refusal = request.Method switch
        {
            StepUpMethods.Passkey => await ProvePasskeyAsync(http, session, user, request, cancellationToken),
            StepUpMethods.Sms => await ProveSmsAsync(context, guard, session, user, request, cancellationToken),
            StepUpMethods.Totp => await ProveTotpAsync(db, http, audit, guard, totp, user, request.Code, cancellationToken),
            StepUpMethods.RecoveryCode => await ProveRecoveryCodeAsync(db, audit, context.Notices, guard, user, request.Code, time,
                cancellationToken),
            _ => await ProvePasswordAsync(db, audit, guard, hasher, user, request.Password, cancellationToken),
        };
        if (refusal is not null)
        {
            audit.About(user, AuditEvents.StepUpFailed, $"{request.Method}; session {session.Id}");
            await db.SaveChangesAsync(cancellationToken);
            return refusal;
        }

        var now = time.GetUtcNow();
        if (request.Method == StepUpMethods.Password)
        {
            await db.Sessions.Where(s => s.Id == session.Id)
                .ExecuteUpdateAsync(set => set.SetProperty(s => s.PasswordAt, now), cancellationToken);
        }
        else
        {
            await db.Sessions.Where(s => s.Id == session.Id)
                .ExecuteUpdateAsync(set => set.SetProperty(s => s.SecondFactorAt, now), cancellationToken);
        }

        audit.BySelf(user, AuditEvents.StepUpSucceeded, $"{request.Method}; session {session.Id}");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new SteppedUp("stepped_up", request.Method, now + options.Value.StepUpMaxAge));
    }

    private static async Task<ApiProblem?> ProvePasskeyAsync(HttpContext http, UserSession session, User user, StepUpRequest request,
        CancellationToken cancellationToken)
    {
        if (request.CeremonyId is null) return ApiProblem.Validation("ceremonyId",
            "Send ceremonyId (from POST /api/auth/step-up/passkey/options) and credential (the browser's answer).");
        var (_, refusal) = await http.RequestServices.GetRequiredService<PasskeyCeremonies>().FinishAssertionAsync(request.CeremonyId.Value,
            WebAuthnPurposes.StepUp, session.Id, user, request.Credential, cancellationToken);
        return refusal;
    }

    private static async Task<ApiProblem?> ProveSmsAsync(SignInContext context, SecondFactorGuard guard, UserSession session, User user,
        StepUpRequest request,
        CancellationToken cancellationToken)
    {
        if (!OpaqueTokens.LooksValid(request.StepUpTicket) || request.Code is not { Length: 6 } code || !code.All(char.IsAsciiDigit))
        {
            return ApiProblem.Validation(OpaqueTokens.LooksValid(request.StepUpTicket) ? "code" : "stepUpTicket",
                "Send stepUpTicket (from POST /api/auth/step-up/sms) and code (the six digits texted to you).");
        }

        var hash = OpaqueTokens.Hash(request.StepUpTicket!);
        var now = context.Time.GetUtcNow();
        var ticket = await context.Db.LoginTickets.SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        // Bound to the session that asked for it: a ticket of another session, user or a sign-in is no proof here.
        if (ticket is null || !ticket.IsUsable(now) || ticket.StepUpSessionId != session.Id
            || ticket.UserId != user.Id) return MfaApi.ChallengeExpired();
        return await SmsSignIn.CheckCodeAsync(context, guard, ticket, user, code, cancellationToken);
    }

    private static async Task<ApiProblem?> ProveTotpAsync(AccountsDbContext db, HttpContext http, AuditLog audit,
        SecondFactorGuard guard, MobileTotp totp, User user, string? code,
        CancellationToken cancellationToken)
    {
        if (code is not { Length: 6 } || !code.All(char.IsAsciiDigit)) return ApiProblem.Validation("code",
            "Send code: the six digits your authenticator app shows.");
        var locked = await guard.EnterAsync(db, user, cancellationToken);
        if (locked is not null) return locked;
        var outcome = await totp.VerifyAsync(db, user, code, audit, cancellationToken);
        switch (outcome.Verdict)
        {
            case TotpVerdict.Accepted:
                await guard.SucceededAsync(db, user, cancellationToken);
                return null;
            case TotpVerdict.Locked:
                await guard.ReleaseAsync(db, user, cancellationToken);
                var lockedUntil = outcome.LockedUntil!.Value;
                return new ApiProblem(StatusCodes.Status429TooManyRequests, ProblemCodes.SecondFactorLocked, "Too many wrong codes.",
                    "Too many wrong authenticator codes for your account. Wait until the lock ends.").With("lockedUntil", lockedUntil)
                    .WithRetryAfter(lockedUntil - http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
            default:
                return await guard.FailedAsync(db, audit, user, SecondFactors.Totp, cancellationToken) ?? WrongCode();
        }
    }

    private static async Task<ApiProblem?> ProveRecoveryCodeAsync(AccountsDbContext db, AuditLog audit, SecurityNotices notices,
        SecondFactorGuard guard, User user, string? code,
        TimeProvider time, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(code)) return ApiProblem.Validation("code", "Send code: one of your recovery codes.");
        var locked = await guard.EnterAsync(db, user, cancellationToken);
        if (locked is not null) return locked;
        if (await RecoveryCodes.TryUseAsync(db, user.Id, code, time.GetUtcNow(), cancellationToken))
        {
            await guard.SucceededAsync(db, user, cancellationToken);
            audit.BySelf(user, AuditEvents.RecoveryCodeUsed, "step-up");
            await notices.AddAsync(user, EmailTemplates.RecoveryCodeUsed, locale => EmailTemplates.When(time.GetUtcNow(), locale), cancellationToken);
            return null;
        }

        audit.About(user, AuditEvents.RecoveryCodeFailed, "step-up");
        return await guard.FailedAsync(db, audit, user, "recovery code", cancellationToken) ?? WrongCode();
    }

    private static async Task<ApiProblem?> ProvePasswordAsync(AccountsDbContext db, AuditLog audit,
        SecondFactorGuard guard, IPasswordHasher<User> hasher, User user,
        string? password, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(password)) return ApiProblem.Validation("password", "Send password: the password you sign in with.");
        var locked = await guard.EnterAsync(db, user, cancellationToken);
        if (locked is not null) return locked;
        if (user.PasswordHash is not null
            && hasher.VerifyHashedPassword(user, user.PasswordHash, password) != PasswordVerificationResult.Failed)
        {
            await guard.SucceededAsync(db, user, cancellationToken);
            return null;
        }

        return await guard.FailedAsync(db, audit, user, "password", cancellationToken)
            ?? new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidPassword, "Your password is not right.",
                "Enter the password you sign in with.");
    }

    private static ApiProblem WrongCode() =>
        new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidCode, "Wrong code.",
            "That code is not right. Check it and try again.");
}
