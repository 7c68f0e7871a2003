namespace FlexWhere.Accounts.Lifecycle;

public sealed record ForgotPasswordRequest(string? Email);

/// <param name="Code">For admins and managers: the SMS code the first call (without it) sent to their number.</param>
public sealed record SetPasswordRequest(string? Token, string? Password, string? Code);

public sealed record ForgotPasswordAccepted(string Status);

/// <summary><c>code_sent</c> (send the request again with the code) or <c>password_set</c> (sign in now).</summary>
public sealed record SetPasswordAnswer(string Status, string? Phone = null, DateTimeOffset? ExpiresAt = null);

/// <summary>
/// The two ways to a password by e-mail: an invitation an admin sends, and the reset a user asks for
/// with "forgot password". Both end in <c>POST /api/auth/password/reset</c> with the link's token.
/// </summary>
public static class PasswordLinksApi
{
    public static IEndpointRouteBuilder MapPasswordLinksApi(this IEndpointRouteBuilder app)
    {
        var password = app.MapGroup("/api/auth/password").WithTags("Sign-in");
        password.MapPost("/forgot", Forgot).WithName("ForgotPassword")
            .WithSummary("E-mail a single-use link to choose a new password. Answers the same whether or not the address has an account.");
        password.MapPost("/reset", SetPassword).WithName("SetPasswordWithLink")
            .WithSummary("Choose a password with the token of an invitation or a reset link; admins and managers also enter an SMS code.");
        app.MapPost("/api/users/{id:guid}/invitation", Invite).WithTags("Users").WithName("SendInvitation")
            .RequireAuthorization(Policies.Admin)
            .WithSummary("Send the user a new invitation (voids earlier ones): for users who have not chosen a password yet.");
        return app;
    }

    public static async Task<Results<Accepted<ForgotPasswordAccepted>, ApiProblem>> Forgot(ForgotPasswordRequest? request,
        AccountsDbContext db, AccountLinks links, AuditLog audit, IOptions<AccountLinkOptions> options, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var email = request?.Email?.Trim();
        if (!EmailAddresses.IsValid(email)) return UsersApi.InvalidEmail();

        // Known or not, the same answer at the same time: the address's owner reads the e-mail, nobody else learns anything.
        var normalized = User.Normalize(email!);
        var user = await db.Users.Include(u => u.Organisation)
            .SingleOrDefaultAsync(u => u.NormalizedEmail == normalized && u.Active, cancellationToken);
        if (user is not null && await links.ResetsInLastHourAsync(user.Id, cancellationToken) < options.Value.PasswordResetsPerHour)
        {
            await links.SendAsync(user, user.Organisation, AccountLinkPurposes.PasswordReset, sentBy: null, cancellationToken);
            audit.About(user, AuditEvents.PasswordResetRequested, "link e-mailed");
            await db.SaveChangesAsync(cancellationToken);
        }

        // Real time, not the TimeProvider: this is about what a caller's stopwatch sees.
        var left = options.Value.ForgotPasswordAnswerTime - System.Diagnostics.Stopwatch.GetElapsedTime(started);
        if (left > TimeSpan.Zero) await Task.Delay(left, cancellationToken);
        return TypedResults.Accepted((string?)null, new ForgotPasswordAccepted("link_sent_if_known"));
    }

    public static async Task<Results<Ok<SetPasswordAnswer>, ApiProblem>> SetPassword(SetPasswordRequest? request, SignInContext context,
        IPasswordHasher<User> hasher, AccountLinks links, SecondFactorGuard guard, CancellationToken cancellationToken)
    {
        if (!OpaqueTokens.LooksValid(request?.Token)) return ApiProblem.Validation("token", "Send the token from the link in the e-mail.");
        if (string.IsNullOrEmpty(request!.Password) || request.Password.Length > PasswordPolicy.MaxPresentedLength)
        {
            return ApiProblem.Validation("password", "Send the password you chose.");
        }

        if (request.Code is { } typed && (typed.Length != 6 || !typed.All(char.IsAsciiDigit)))
        {
            return ApiProblem.Validation("code", "Send the six digits of the code in the text message.");
        }

        var (db, time, audit) = (context.Db, context.Time, context.Audit);
        var now = time.GetUtcNow();
        var hash = OpaqueTokens.Hash(request.Token!);
        var link = await db.AccountLinks.SingleOrDefaultAsync(l => l.TokenHash == hash, cancellationToken);
        var user = link is null ? null
            : await db.Users.Include(u => u.Organisation).SingleAsync(u => u.Id == link.UserId, cancellationToken);
        if (link is null || link.UsedAt is not null || link.ExpiresAt <= now || user is not { Active: true }) return LinkExpired();
        if (PasswordPolicy.Check(request.Password, user.Email) is { } weak) return weak;

        var invitation = link.Purpose == AccountLinkPurposes.Invitation;
        if (user.NeedsSmsSecondFactor)
        {
            if (user.PhoneNumber is null) return SmsSignIn.PhoneNumberMissing();
            if (!Phones.CountryAllowed(user.PhoneNumber, user.Organisation.AllowedSmsCountries)) return SmsSignIn.CountryNotAllowed(user);
            if (request.Code is null)
            {
                var (issued, failure) = await context.Challenges.CreateAsync(user.OrganisationId, user.Id, ChallengePurposes.PasswordLink,
                    user.PhoneNumber, context.Http.Connection.RemoteIpAddress?.ToString(), priority: true, cancellationToken,
                    User.LocaleFor(user, user.Organisation));
                if (failure is not null) return SmsSignIn.Passthrough(failure);
                link.ChallengeId = issued!.ChallengeId;
                audit.About(user, AuditEvents.PasswordLinkCodeSent, $"code to {Phones.Mask(user.PhoneNumber)} for the {link.Purpose} link");
                await db.SaveChangesAsync(cancellationToken);
                return TypedResults.Ok(new SetPasswordAnswer("code_sent", Phones.Mask(user.PhoneNumber), issued.ExpiresAt));
            }

            if (link.ChallengeId is null) return ApiProblem.Validation("code", "Send the request without a code first: that sends one.");
            // Wrong codes here count with those of sign-ins and step-ups: a link is no way around the user's limit.
            if (await guard.EnterAsync(db, user, cancellationToken) is { } locked) return locked;
            var (verified, refused) = await context.Challenges.VerifyAsync(link.ChallengeId, request.Code, ChallengePurposes.PasswordLink,
                cancellationToken);
            if (refused is not null)
            {
                if (refused.Refusal is not { Code: ChallengeRefusalCode.InvalidCode or ChallengeRefusalCode.TooManyAttempts })
                {
                    await guard.ReleaseAsync(db, user, cancellationToken);
                    return refused.Refusal is { EndsChallenge: true } ? CodeEnded() : SmsSignIn.Passthrough(refused);
                }

                audit.About(user, AuditEvents.MfaCodeFailed, $"wrong code for the {link.Purpose} link");
                await db.SaveChangesAsync(cancellationToken);
                return await guard.FailedAsync(db, audit, user, SecondFactors.Sms, cancellationToken)
                    ?? (refused.Is(ChallengeRefusalCode.InvalidCode) ? MfaApi.InvalidCode(refused.Refusal.AttemptsLeft ?? 0) : CodeEnded());
            }

            // A number changed since the code was sent: the code proved the old one.
            if (verified!.Destination != user.PhoneNumber)
            {
                await guard.ReleaseAsync(db, user, cancellationToken);
                return CodeEnded();
            }

            await guard.SucceededAsync(db, user, cancellationToken);
        }

        // One use, however many requests race: the first to mark the link used sets the password.
        var taken = await db.AccountLinks.Where(l => l.Id == link.Id && l.UsedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(l => l.UsedAt, now), cancellationToken) == 1;
        if (!taken) return LinkExpired();

        user.PasswordHash = hasher.HashPassword(user, request.Password);
        if (user.NeedsSmsSecondFactor) user.PhoneVerified = true;
        await links.VoidOpenLinksAsync(user.Id, now, cancellationToken);
        if (invitation)
        {
            audit.About(user, AuditEvents.InvitationAccepted,
                user.NeedsSmsSecondFactor ? "password set; number proved by its code" : "password set");
        }
        else
        {
            // Whoever knew the old password is out: every session and trusted device ends.
            var ended = await Sessions.EndForUserAsync(db, user.Id, now, RevocationReasons.PasswordReset, cancellationToken);
            var revoked = await TrustedDevices.RevokeForUserAsync(db, user.Id, now, RevocationReasons.PasswordReset,
                cancellationToken);
            audit.About(user, AuditEvents.PasswordReset, $"by e-mailed link; {ended} sessions ended, {revoked} trusted devices revoked");
        }

        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new SetPasswordAnswer("password_set"));
    }

    public static async Task<Results<Accepted, ApiProblem>> Invite(Guid id, ClaimsPrincipal principal, AccountsDbContext db,
        AccountLinks links, AuditLog audit, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var user = await db.Users.Include(u => u.Organisation)
            .SingleOrDefaultAsync(u => u.Id == id && u.OrganisationId == caller.OrganisationId && u.Active, cancellationToken);
        if (user is null) return AccountsRefusals.NotFound();
        if (user.PasswordHash is not null)
        {
            return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.AlreadySignedUp, "This user has a password already.",
                "Only users who have not chosen a password yet get an invitation. They can use \"Forgot password\" on the sign-in page.");
        }

        await links.SendAsync(user, user.Organisation, AccountLinkPurposes.Invitation, caller.UserId, cancellationToken);
        audit.ByCaller(AuditEvents.InvitationSent, user.Id, "sent again");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Accepted((string?)null);
    }

    private static ApiProblem LinkExpired() =>
        new(StatusCodes.Status410Gone, ProblemCodes.LinkExpired, "This link no longer works.",
            "The link has expired or was used already. Ask for a new one with \"Forgot password\", or ask your administrator for a new " +
                "invitation.");

    private static ApiProblem CodeEnded() =>
        new(StatusCodes.Status410Gone, ProblemCodes.ChallengeExpired, "This code no longer works.",
            "The code has expired or too many wrong codes were entered. Send the request without a code to get a new one.");
}
