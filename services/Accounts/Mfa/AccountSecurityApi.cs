namespace FlexWhere.Accounts.Mfa;

public sealed record RecoveryCodesStatus(int Remaining, DateTimeOffset? CreatedAt);

public sealed record NewRecoveryCodes(IReadOnlyList<string> Codes, DateTimeOffset CreatedAt);

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

public sealed record ChangeLocaleRequest(string? Locale);

public sealed record StartPhoneVerificationRequest(string? Phone);

public sealed record PhoneVerificationStarted(string VerificationTicket, string PhoneHint, DateTimeOffset ExpiresAt,
    DateTimeOffset ResendAfter);

public sealed record ConfirmPhoneRequest(string? VerificationTicket, string? Code);

public sealed record PhoneConfirmed(string Status, string PhoneHint, Guid? PendingChangeId);

/// <summary>The signed-in user's own second factor: trusted devices, recovery codes, password, phone number.</summary>
public static class AccountSecurityApi
{
    public static IEndpointRouteBuilder MapAccountSecurityApi(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/me").WithTags("My sign-in").RequireAuthorization();
        me.MapGet("/devices", ListMyDevices).WithName("ListMyTrustedDevices")
            .WithSummary("Browsers that skip the SMS code while you sign in on them within 30 days.");
        me.MapDelete("/devices/{deviceId:guid}", RevokeMyDevice).WithName("RevokeMyTrustedDevice")
            .WithSummary("Stop trusting a browser: it needs an SMS code again.");
        me.MapDelete("/devices", RevokeAllMyDevices).WithName("RevokeAllMyTrustedDevices")
            .WithSummary("Stop trusting every browser of yours; the sessions they opened end (this one too, if it was one of them).");
        me.MapGet("/recovery-codes", RecoveryCodesStatusOf).RequireAuthorization(Policies.AdminOrManager).WithName("RecoveryCodesStatus");
        me.MapPost("/recovery-codes", GenerateRecoveryCodes).RequireAuthorization(Policies.AdminOrManager).RequireStepUp()
            .WithName("GenerateRecoveryCodes")
            .WithSummary("Ten new one-time recovery codes, shown this once; the old ones stop working.");
        me.MapPut("/password", ChangePassword).RequireStepUp().WithName("ChangeMyPassword")
            .WithSummary("Change your password; every trusted device and other session ends.");
        me.MapPost("/phone", StartPhoneVerification).RequireStepUp().WithName("StartPhoneVerification")
            .WithSummary("Send a code to a new number of yours; the number changes once you confirm the code.");
        me.MapPost("/phone/confirm", ConfirmPhone).WithName("ConfirmPhone")
            .WithSummary("Confirm the code sent to your new number. An admin's new number then waits for a second admin's approval.");
        me.MapPut("/locale", ChangeLocale).WithName("ChangeMyLocale")
            .WithSummary("The language of your e-mails and text messages: nl or en.");
        return app;
    }

    public static async Task<Results<NoContent, ApiProblem>> ChangeLocale(ChangeLocaleRequest? request, ClaimsPrincipal principal,
        AccountsDbContext db, AuditLog audit, CancellationToken cancellationToken)
    {
        if (request?.Locale is not { } locale || !User.Locales.Contains(locale))
        {
            return ApiProblem.Validation("locale", $"Send locale: one of {string.Join(", ", User.Locales)}.");
        }

        var caller = Caller.From(principal);
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == caller.UserId && u.OrganisationId == caller.OrganisationId && u.Active,
            cancellationToken);
        if (user is null) return AccountsRefusals.NotFound();
        user.Locale = locale;
        audit.BySelf(user, AuditEvents.LocaleChanged, locale);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<List<TrustedDeviceDto>>> ListMyDevices(ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var session = Guid.TryParse(principal.FindFirstValue(TokenClaims.Session), out var sid) ? sid : (Guid?)null;
        var devices = await TrustedDevicesOf(db, caller.UserId, caller.OrganisationId, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(devices.Select(d => TrustedDeviceDto.From(d, session)).ToList());
    }

    public static async Task<Results<NoContent, ApiProblem>> RevokeMyDevice(
        Guid deviceId, ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, AuditLog audit,
            CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        return await RevokeDeviceAsync(db, audit, time, caller, caller.UserId, deviceId, RevocationReasons.RevokedByUser,
            cancellationToken)
            ? TypedResults.NoContent()
            : AccountsRefusals.NotFound("trusted device");
    }

    public static async Task<Ok<SessionsEnded>> RevokeAllMyDevices(ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time,
        AuditLog audit, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var now = time.GetUtcNow();
        var revoked = await TrustedDevices.RevokeForUserAsync(db, caller.UserId, now, RevocationReasons.RevokedByUser, cancellationToken);
        var ended = await Sessions.EndAsync(db, s => s.UserId == caller.UserId && s.TrustedDeviceId != null, now,
            RevocationReasons.DeviceRevoked, cancellationToken);
        audit.ByCaller(AuditEvents.TrustedDevicesRevoked, caller.UserId,
            $"{revoked} trusted devices revoked by their user; {ended} sessions ended");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new SessionsEnded(ended));
    }

    public static async Task<Ok<RecoveryCodesStatus>> RecoveryCodesStatusOf(ClaimsPrincipal principal, AccountsDbContext db,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var codes = await db.RecoveryCodes.Where(c => c.UserId == caller.UserId).ToListAsync(cancellationToken);
        return TypedResults.Ok(new RecoveryCodesStatus(codes.Count(c => c.UsedAt is null), codes.Count == 0 ? null
            : codes.Min(c => c.CreatedAt)));
    }

    public static async Task<Ok<NewRecoveryCodes>> GenerateRecoveryCodes(
        ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, AuditLog audit, SecurityNotices notices,
            CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var now = time.GetUtcNow();
        var codes = await RecoveryCodes.ReplaceAsync(db, caller.UserId, caller.OrganisationId, now, cancellationToken);
        audit.ByCaller(AuditEvents.RecoveryCodesGenerated, caller.UserId, $"{codes.Count} new codes; older codes revoked");
        var user = await db.Users.SingleAsync(u => u.Id == caller.UserId && u.OrganisationId == caller.OrganisationId, cancellationToken);
        await notices.AddAsync(user, EmailTemplates.FactorAdded, locale => $"{EmailTemplates.RecoveryCodes(codes.Count, locale)}, {EmailTemplates.When(now, locale)}",
            cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new NewRecoveryCodes(codes, now));
    }

    public static async Task<Results<NoContent, ApiProblem>> ChangePassword(
        ChangePasswordRequest? request, ClaimsPrincipal principal, AccountsDbContext db, IPasswordHasher<User> hasher, TimeProvider time,
        AuditLog audit, Microsoft.Extensions.Options.IOptions<PasswordSignInOptions> signIn, CancellationToken cancellationToken)
    {
        if (request?.CurrentPassword is not { Length: > 0 and <= PasswordPolicy.MaxPresentedLength } || request.NewPassword is null)
        {
            var field = request?.CurrentPassword is { Length: > 0 and <= PasswordPolicy.MaxPresentedLength }
                ? "newPassword"
                : "currentPassword";
            return ApiProblem.Validation(field, "Send currentPassword and newPassword.");
        }

        var caller = Caller.From(principal);
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == caller.UserId && u.OrganisationId == caller.OrganisationId && u.Active,
            cancellationToken);
        if (user is null) return AccountsRefusals.NotFound();
        if (PasswordPolicy.Check(request.NewPassword, user.Email) is { } weak) return weak;

        // The current password is guessed here under the same count as at sign-in, so a session in
        // other hands is no way to try passwords without limit.
        var now = time.GetUtcNow();
        var key = SignInThrottles.ForEmail(user.NormalizedEmail);
        var entry = await SignInThrottles.EnterAsync(db, key, now, signIn.Value, cancellationToken);
        if (!entry.Admitted)
        {
            return AuthApi.AccountLocked(entry.LockedUntil!.Value, now);
        }

        if (user.PasswordHash is null || hasher.VerifyHashedPassword(user, user.PasswordHash,
            request.CurrentPassword) == PasswordVerificationResult.Failed)
        {
            await SignInThrottles.FailedAsync(db, key, now, signIn.Value, cancellationToken);
            audit.About(user, AuditEvents.SignInFailed, "wrong current password on a password change");
            await db.SaveChangesAsync(cancellationToken);
            return new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidPassword, "Your current password is not right.",
                "Enter the password you signed in with.");
        }

        await SignInThrottles.ReleaseAsync(db, key, cancellationToken);
        user.PasswordHash = hasher.HashPassword(user, request.NewPassword);
        var session = Guid.TryParse(principal.FindFirstValue(TokenClaims.Session), out var sid) ? sid : Guid.Empty;
        await Sessions.EndForUserAsync(db, user.Id, now, RevocationReasons.PasswordChanged, cancellationToken, except: session);
        var revoked = await TrustedDevices.RevokeForUserAsync(db, user.Id, now, RevocationReasons.PasswordChanged, cancellationToken);
        audit.BySelf(user, AuditEvents.PasswordChanged, $"other sessions ended; {revoked} trusted devices revoked");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<PhoneVerificationStarted>, ApiProblem>> StartPhoneVerification(
        StartPhoneVerificationRequest? request, ClaimsPrincipal principal, SignInContext context, CancellationToken cancellationToken)
    {
        var (db, http, time, audit) = (context.Db, context.Http, context.Time, context.Audit);
        var caller = Caller.From(principal);
        var user = await db.Users.Include(u => u.Organisation)
            .SingleOrDefaultAsync(u => u.Id == caller.UserId && u.OrganisationId == caller.OrganisationId && u.Active, cancellationToken);
        if (user is null) return AccountsRefusals.NotFound();
        if (user.Organisation.LinkedDatabase) return AccountsRefusals.ManagedByLinkedDatabase();
        if (string.IsNullOrWhiteSpace(request?.Phone)) return ApiProblem.Validation("phone",
            "Send phone: your mobile number in international form, e.g. +31 6 12345678.");

        var check = Phones.Check(request.Phone);
        if (!check.IsValid) return UsersApi.PhoneProblem(check);
        if (check.E164 == user.PhoneNumber && user.PhoneVerified)
        {
            return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.PhoneUnchanged, "This is already your number.",
                "Your sign-in codes already go to this number.");
        }

        if (!Phones.CountryAllowed(check.E164!, user.Organisation.AllowedSmsCountries))
        {
            var region = Phones.RegionOf(check.E164!);
            return new ApiProblem(StatusCodes.Status422UnprocessableEntity, ProblemCodes.CountryNotAllowed, "Country not allowed",
                $"Your organisation does not allow SMS codes to numbers in {region}. "
                + "Use a number from an allowed country or ask your administrator.")
                .With("country", region);
        }

        var (issued, failure) = await context.Challenges.CreateAsync(user.OrganisationId, user.Id, ChallengePurposes.PhoneVerification,
            check.E164!, http.Connection.RemoteIpAddress?.ToString(), priority: false, cancellationToken,
            User.LocaleFor(user, user.Organisation));
        if (failure is not null) return SmsSignIn.Passthrough(failure);

        var now = time.GetUtcNow();
        var ticket = OpaqueTokens.New();
        db.PhoneVerifications.Add(new PhoneVerification
        {
            TokenHash = OpaqueTokens.Hash(ticket),
            PhoneNumber = check.E164!,
            ChallengeId = issued!.ChallengeId,
            ExpiresAt = now + context.Options.LoginTicketLifetime,
        }.BelongingTo(user, now));
        audit.BySelf(user, AuditEvents.PhoneVerificationSent, $"code to new number {Phones.Mask(check.E164!)}");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new PhoneVerificationStarted(ticket, Phones.Mask(check.E164!), issued.ExpiresAt, issued.ResendAfter));
    }

    public static async Task<Results<Ok<PhoneConfirmed>, ApiProblem>> ConfirmPhone(
        ConfirmPhoneRequest? request, ClaimsPrincipal principal, SignInContext context, CancellationToken cancellationToken)
    {
        if (!OpaqueTokens.LooksValid(request?.VerificationTicket) || request!.Code is not { Length: 6 } code
            || !code.All(char.IsAsciiDigit))
        {
            return ApiProblem.Validation(OpaqueTokens.LooksValid(request?.VerificationTicket) ? "code" : "verificationTicket",
                "Send verificationTicket and code (the six digits sent to your new number).");
        }

        var (db, time, audit) = (context.Db, context.Time, context.Audit);
        var caller = Caller.From(principal);
        var now = time.GetUtcNow();
        var hash = OpaqueTokens.Hash(request.VerificationTicket!);
        var verification = await db.PhoneVerifications.SingleOrDefaultAsync(v => v.TokenHash == hash && v.UserId == caller.UserId,
            cancellationToken);
        if (verification is null || verification.ConsumedAt is not null || verification.ExpiresAt <= now) return MfaApi.ChallengeExpired();

        var (verified, failure) = await context.Challenges.VerifyAsync(verification.ChallengeId, code, ChallengePurposes.PhoneVerification,
            cancellationToken);
        if (failure is not null)
        {
            return failure.Refusal switch
            {
                { Code: ChallengeRefusalCode.InvalidCode } refusal => MfaApi.InvalidCode(refusal.AttemptsLeft ?? 0),
                { Code: ChallengeRefusalCode.TooManyAttempts } => MfaApi.TooManyAttempts(),
                { EndsChallenge: true } => MfaApi.ChallengeExpired(),
                _ => SmsSignIn.Passthrough(failure),
            };
        }

        var consumed = await db.PhoneVerifications.Where(v => v.Id == verification.Id && v.ConsumedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(v => v.ConsumedAt, now), cancellationToken) == 1;
        if (!consumed || verified!.Destination != verification.PhoneNumber) return MfaApi.ChallengeExpired();

        var user = await db.Users.Include(u => u.Organisation).SingleAsync(u => u.Id == caller.UserId, cancellationToken);
        audit.BySelf(user, AuditEvents.PhoneVerified, $"{Phones.Mask(verification.PhoneNumber)} proved by its code");
        if (PhoneChanges.NeedsFourEyes(user))
        {
            var change = await PhoneChanges.RequestAsync(db, audit, time, context.Challenges, user, verification.PhoneNumber,
                verified: true, user.Id, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            return TypedResults.Ok(new PhoneConfirmed("pending_approval", Phones.Mask(verification.PhoneNumber), change.Id));
        }

        var current = Guid.TryParse(principal.FindFirstValue(TokenClaims.Session), out var sid) ? sid : (Guid?)null;
        await PhoneChanges.ApplyAsync(db, audit, context.Notices, time, user, verification.PhoneNumber, verified: true, user.Id,
            "confirmed with a code",
            cancellationToken, keepSession: current);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new PhoneConfirmed("changed", Phones.Mask(verification.PhoneNumber), null));
    }

    public static Task<List<TrustedDevice>> TrustedDevicesOf(AccountsDbContext db, Guid userId, Guid organisationId, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        db.TrustedDevices.Where(d => d.UserId == userId && d.OrganisationId == organisationId && d.RevokedAt == null
            && d.TrustedUntil > now)
            .OrderByDescending(d => d.LastSignInAt).ToListAsync(cancellationToken);

    public static async Task<bool> RevokeDeviceAsync(AccountsDbContext db, AuditLog audit, TimeProvider time, Caller caller, Guid userId,
        Guid deviceId, string reason,
        CancellationToken cancellationToken)
    {
        var revoked = await db.TrustedDevices
            .Where(d => d.Id == deviceId && d.UserId == userId && d.OrganisationId == caller.OrganisationId && d.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(d => d.RevokedAt, time.GetUtcNow()).SetProperty(d => d.RevokedReason, reason),
                cancellationToken) == 1;
        if (revoked)
        {
            // Trust ends with the sessions it opened, not just the next sign-in.
            var ended = await Sessions.EndAsync(db, s => s.TrustedDeviceId == deviceId && s.UserId == userId, time.GetUtcNow(),
                RevocationReasons.DeviceRevoked, cancellationToken);
            audit.ByCaller(AuditEvents.TrustedDevicesRevoked, userId, $"device {deviceId}: {reason}; {ended} sessions ended");
            await db.SaveChangesAsync(cancellationToken);
        }

        return revoked;
    }
}
