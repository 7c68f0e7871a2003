namespace FlexWhere.Accounts.Mobile;

/// <param name="Code">The proof that lets the user link an authenticator: the code texted to their
/// number, or the enrollment code an administrator issued. Needed once per login ticket.</param>
public sealed record TotpEnrollRequest(string? LoginTicket, string? Code = null);

/// <summary>The authenticator app as the second factor on mobile: a login ticket of method <c>totp</c>
/// (enrolled) or <c>totp_enrollment</c>. Linking an authenticator needs a second proof besides the
/// password (an SMS code, or an administrator's enrollment code), so whoever learns a password cannot
/// link their own authenticator first.</summary>
public static class TotpSignIn
{
    public static IEndpointRouteBuilder MapTotpApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/totp/enroll", Enroll).WithTags("Sign-in").WithName("EnrollTotp")
            .WithSummary("For a login ticket of method totp_enrollment, with the SMS code or the administrator's enrollment code: a new " +
                "authenticator secret (base32, otpauth URI, QR code as SVG); the first valid code at /api/auth/mfa/verify confirms it.");
        return app;
    }

    /// <summary>After the right password on mobile, when the organisation requires TOTP or the user has an authenticator.</summary>
    public static async Task<Results<Ok<SignedIn>, Ok<MfaRequired>, ApiProblem>> StartAsync(SignInContext context, User user,
        CancellationToken cancellationToken)
    {
        if (await MobileTotp.IsEnrolledAsync(context.Db, user.Id, cancellationToken))
        {
            var (ticket, expiresAt) = context.IssueLoginTicket(user, Clients.Mobile, SecondFactors.Totp);
            await context.Db.SaveChangesAsync(cancellationToken);
            return TypedResults.Ok(new MfaRequired("mfa_required", SecondFactors.Totp, ticket, null, expiresAt, null));
        }

        if (user.PhoneNumber is null)
        {
            var (ticket, expiresAt) = context.IssueLoginTicket(user, Clients.Mobile, SecondFactors.TotpEnrollment);
            await context.Db.SaveChangesAsync(cancellationToken);
            return TypedResults.Ok(new MfaRequired("mfa_required", SecondFactors.TotpEnrollment, ticket, null, expiresAt,
                null) { EnrollmentProof = EnrollmentProofs.AdminCode });
        }

        var (issued, refusal) = await SmsSignIn.SendCodeAsync(context, user, cancellationToken);
        if (refusal is not null) return refusal;
        var (smsTicket, _) = context.IssueLoginTicket(user, Clients.Mobile, SecondFactors.TotpEnrollment, issued!.ChallengeId);
        await context.Db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new MfaRequired("mfa_required", SecondFactors.TotpEnrollment, smsTicket, Phones.Mask(user.PhoneNumber),
            issued.ExpiresAt, issued.ResendAfter)
        {
            EnrollmentProof = EnrollmentProofs.Sms,
        });
    }

    public static async Task<Results<Ok<TotpEnrollmentResponse>, ApiProblem>> Enroll(
        TotpEnrollRequest? request, SignInContext context, MobileTotp totp, SecondFactorGuard guard, CancellationToken cancellationToken)
    {
        if (!OpaqueTokens.LooksValid(request?.LoginTicket) || request!.Code is { Length: > 32 })
        {
            return ApiProblem.Validation(OpaqueTokens.LooksValid(request?.LoginTicket) ? "code" : "loginTicket",
                "Send loginTicket (from the sign-in answer with method totp_enrollment) and code "
                + "(the code texted to you, or your administrator's enrollment code).");
        }

        var (ticket, user, problem) = await MfaApi.OpenAsync(context, request.LoginTicket!, cancellationToken);
        if (problem is not null) return problem;
        if (ticket!.Method != SecondFactors.TotpEnrollment) return AlreadyEnrolled();

        if (ticket.EnrollmentProvenAt is null)
        {
            var refusal = await ProveAsync(context, guard, ticket, user!, request.Code, cancellationToken);
            if (refusal is not null) return refusal;
        }

        var enrollment = await totp.StartEnrollmentAsync(context.Db, user!, context.Audit, cancellationToken);
        return enrollment is null ? AlreadyEnrolled() : TypedResults.Ok(enrollment);
    }

    /// <summary>Checks the enrollment proof of a ticket and marks the ticket proven; null when it was right.</summary>
    private static async Task<ApiProblem?> ProveAsync(SignInContext context, SecondFactorGuard guard, LoginTicket ticket, User user,
        string? typed,
        CancellationToken cancellationToken)
    {
        var (db, time, audit) = (context.Db, context.Time, context.Audit);
        var code = new string((typed ?? "").Where(c => !char.IsWhiteSpace(c) && c != '-').ToArray());
        if (code.Length == 0)
        {
            return new ApiProblem(StatusCodes.Status403Forbidden, ProblemCodes.EnrollmentProofRequired, "Prove it is you first.",
                ticket.ChallengeId is null
                    ? "Linking an authenticator app needs the enrollment code your administrator gives you: send it as code."
                    : "Linking an authenticator app needs the code we texted to your phone: send it as code.")
                        .With("enrollmentProof", ticket.ChallengeId is null ? EnrollmentProofs.AdminCode : EnrollmentProofs.Sms);
        }

        if (ticket.ChallengeId is not null)
        {
            if (code.Length != 6 || !code.All(char.IsAsciiDigit)) return ApiProblem.Validation("code", "The code has six digits.");
            var refusal = await SmsSignIn.CheckCodeAsync(context, guard, ticket, user, code, cancellationToken, consumeTicket: false);
            if (refusal is not null) return refusal;
        }
        else
        {
            var locked = await guard.EnterAsync(db, user, cancellationToken);
            if (locked is not null) return locked;
            if (!await EnrollmentCodes.TryUseAsync(db, user.Id, code, time.GetUtcNow(), cancellationToken))
            {
                var attemptsLeft = await MfaApi.CountFailureAsync(context, ticket, cancellationToken);
                audit.About(user, AuditEvents.EnrollmentProofFailed, $"wrong enrollment code; {attemptsLeft} attempts left");
                await db.SaveChangesAsync(cancellationToken);
                return await guard.FailedAsync(db, audit, user, "enrollment code", cancellationToken)
                    ?? (attemptsLeft == 0 ? MfaApi.TooManyAttempts() : MfaApi.InvalidCode(attemptsLeft));
            }

            await guard.SucceededAsync(db, user, cancellationToken);
        }

        var now = time.GetUtcNow();
        await db.LoginTickets.Where(t => t.Id == ticket.Id && t.EnrollmentProvenAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.EnrollmentProvenAt, now), cancellationToken);
        ticket.EnrollmentProvenAt = now;
        audit.BySelf(user, MobileAuditEvents.TotpEnrollmentProven,
            ticket.ChallengeId is null ? "administrator's enrollment code" : "SMS code");
        await db.SaveChangesAsync(cancellationToken);
        return null;
    }

    /// <summary>The code from the authenticator app. Right → tokens (and, for an enrollment, the authenticator is confirmed).</summary>
    public static async Task<Results<Ok<SignedIn>, ApiProblem>> VerifyAsync(
        SignInContext context, MobileTotp totp, SecondFactorGuard guard, LoginTicket ticket, User user, string code,
            CancellationToken cancellationToken, bool rememberDevice = false, string? deviceName = null)
    {
        var (db, time, audit) = (context.Db, context.Time, context.Audit);
        if (ticket.Method == SecondFactors.Totp && !await MobileTotp.IsEnrolledAsync(db, user.Id, cancellationToken))
        {
            // The authenticator was reset after this ticket was issued.
            await MfaApi.ConsumeAsync(db, ticket, time.GetUtcNow(), cancellationToken);
            return MfaApi.ChallengeExpired();
        }

        if (ticket.Method == SecondFactors.TotpEnrollment && ticket.EnrollmentProvenAt is null)
        {
            return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.TotpNotEnrolled, "Set up your authenticator app first.",
                "Get your authenticator secret with POST /api/auth/totp/enroll (with the code that proves it is you), add it to your " +
                    "app, then send the code it shows.");
        }

        var locked = await guard.EnterAsync(db, user, cancellationToken);
        if (locked is not null) return locked;
        var outcome = await totp.VerifyAsync(db, user, code, audit, cancellationToken);
        switch (outcome.Verdict)
        {
            case TotpVerdict.NotEnrolled:
                await guard.ReleaseAsync(db, user, cancellationToken);
                return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.TotpNotEnrolled, "Set up your authenticator app first.",
                    "Get your authenticator secret with POST /api/auth/totp/enroll, add it to your app, then send the code it shows.");
            case TotpVerdict.Locked:
                await guard.ReleaseAsync(db, user, cancellationToken);
                await MfaApi.ConsumeAsync(db, ticket, time.GetUtcNow(), cancellationToken);
                return new ApiProblem(StatusCodes.Status429TooManyRequests, ProblemCodes.TooManyAttempts, "Too many wrong codes.",
                    "Too many wrong authenticator codes for your account. Wait until the lock ends, then sign in again.")
                    .With("lockedUntil", outcome.LockedUntil).WithRetryAfter(outcome.LockedUntil!.Value - time.GetUtcNow());
            case TotpVerdict.Wrong or TotpVerdict.Replayed:
                var attemptsLeft = await MfaApi.CountFailureAsync(context, ticket, cancellationToken);
                return await guard.FailedAsync(db, audit, user, SecondFactors.Totp, cancellationToken)
                    ?? (attemptsLeft == 0 ? MfaApi.TooManyAttempts() : MfaApi.InvalidCode(attemptsLeft));
        }

        if (!await MfaApi.ConsumeAsync(db, ticket, time.GetUtcNow(), cancellationToken)) return MfaApi.ChallengeExpired();
        await guard.SucceededAsync(db, user, cancellationToken);
        audit.BySelf(user, AuditEvents.MfaVerified, outcome.Confirmed ? "authenticator app (enrollment confirmed)" : "authenticator app");
        if (outcome.Confirmed)
        {
            await context.Notices.AddAsync(user, EmailTemplates.FactorAdded,
                locale => $"{EmailTemplates.AuthenticatorApp(locale)}, {EmailTemplates.When(time.GetUtcNow(), locale)}",
                cancellationToken);
        }
        string[] amr = ticket.Method == SecondFactors.TotpEnrollment && ticket.ChallengeId is not null
            ? [AuthMethods.Password, AuthMethods.Sms, AuthMethods.Otp]
            : [AuthMethods.Password, AuthMethods.Otp];
        return TypedResults.Ok(await context.CompleteSecondFactorAsync(user, ticket, amr, rememberDevice, deviceName, cancellationToken));
    }

    private static ApiProblem AlreadyEnrolled() =>
        new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.TotpAlreadyEnrolled, "Your authenticator app is already set up.",
            "Sign in with the code from your authenticator app. Lost it? Ask your administrator to reset your sign-in.");
}

public static class EnrollmentProofs
{
    public const string Sms = "sms";
    public const string AdminCode = "enrollment_code";
}
