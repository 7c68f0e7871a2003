using System.Text.Json.Serialization;

namespace FlexWhere.Accounts.Mfa;

/// <summary>The second step's instructions; <c>phoneHint</c> and <c>resendAfter</c> only for SMS.</summary>
public sealed record MfaRequired(
    string Status, string Method, string LoginTicket,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PhoneHint,
    DateTimeOffset ExpiresAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? ResendAfter)
{
    /// <summary>Only for <c>totp_enrollment</c>: what proves the user may link an authenticator:
    /// <c>sms</c> (the code just texted) or <c>enrollment_code</c> (one an administrator issues).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EnrollmentProof { get; init; }

    /// <summary>Control Centre: every way this user may finish the sign-in (<c>passkey</c>, <c>totp</c>, <c>sms</c>,
    /// <c>recovery_code</c>), the preferred first; <see cref="Method"/> is the first. A client that knows only SMS sees
    /// <c>method: sms</c> as before for users without a passkey or an authenticator app.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Methods { get; init; }
}

/// <summary>The Control Centre's second factor: a trusted device, or a code by SMS to the user's phone.</summary>
public static class SmsSignIn
{
    /// <summary>After the right password: tokens at once on a trusted device (Control Centre only), else an
    /// SMS code and a login ticket.</summary>
    public static async Task<Results<Ok<SignedIn>, Ok<MfaRequired>, ApiProblem>> StartAsync(
        SignInContext context, User user, string client, TrustedDevice? device, CancellationToken cancellationToken)
    {
        var (db, time, audit) = (context.Db, context.Time, context.Audit);
        var now = time.GetUtcNow();
        if (device is not null)
        {
            var sessionId = Guid.CreateVersion7(now);
            TrustedDevices.Slide(device, sessionId, now, user.Organisation.TrustedDevicePeriodDays);
            audit.BySelf(user, AuditEvents.TrustedDeviceUsed, $"device {device.Id}");
            return TypedResults.Ok(await context.CompleteAsync(user, client, [AuthMethods.Password, AuthMethods.TrustedDevice],
                secondFactorNow: false, device.Id,
                cancellationToken, sessionId));
        }

        var methods = client == Clients.ControlCentre ? await SecondFactorMethods.ForControlCentreAsync(db, user, cancellationToken) : null;
        if (methods is [var preferred, ..] && preferred != SecondFactors.Sms
            || methods is not null && Assurance.NeedsPasskey(user.Role, client, user.Organisation))
        {
            // A passkey or the app first: no SMS is sent unless the user picks it (POST /api/auth/mfa/sms).
            if (methods.Count == 0) return await PasskeyRequiredAsync(context, user, cancellationToken);
            var (stronger, expiresAt) = context.IssueLoginTicket(user, client, methods[0]);
            await db.SaveChangesAsync(cancellationToken);
            return TypedResults.Ok(new MfaRequired("mfa_required", methods[0], stronger, null, expiresAt, null) { Methods = methods });
        }

        return await TextCodeAsync(context, user, client, methods, cancellationToken);
    }

    /// <summary>Texts a sign-in code and issues the login ticket for it, or turns the user's open ticket
    /// (<paramref name="open"/>, with the value the client holds) into an SMS one.</summary>
    public static async Task<Results<Ok<SignedIn>, Ok<MfaRequired>, ApiProblem>> TextCodeAsync(SignInContext context, User user, string client,
        IReadOnlyList<string>? methods, CancellationToken cancellationToken, (LoginTicket Ticket, string Value)? open = null)
    {
        var (issued, refusal) = await SendCodeAsync(context, user, cancellationToken);
        if (refusal is not null) return refusal;

        string value;
        if (open is not { } existing)
        {
            (value, _) = context.IssueLoginTicket(user, client, SecondFactors.Sms, issued!.ChallengeId);
        }
        else
        {
            (value, existing.Ticket.Method, existing.Ticket.ChallengeId) = (existing.Value, SecondFactors.Sms, issued!.ChallengeId);
        }

        await context.Db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new MfaRequired("mfa_required", SecondFactors.Sms, value, Phones.Mask(user.PhoneNumber!), issued.ExpiresAt,
            issued.ResendAfter) { Methods = methods });
    }

    private static async Task<ApiProblem> PasskeyRequiredAsync(SignInContext context, User user, CancellationToken cancellationToken)
    {
        context.Audit.About(user, AuditEvents.SignInRefused, "the organisation requires a passkey for admins; none registered");
        await context.Db.SaveChangesAsync(cancellationToken);
        return new ApiProblem(StatusCodes.Status403Forbidden, ProblemCodes.PasskeyRequired, "Sign in with a passkey.",
            "Your organisation requires administrators to sign in to the Control Centre with a passkey, and your account has none. Use "
            + "one of your recovery codes, or ask another administrator to switch the rule off for a moment; then add a passkey under "
            + "My security.");
    }

    /// <summary>Sends a sign-in code to the user's number (a sign-in, a step-up, an enrollment proof);
    /// admins' and managers' codes draw on the SMS budget's reserved share.</summary>
    public static async Task<(IssuedChallenge? Issued, ApiProblem? Refusal)> SendCodeAsync(SignInContext context, User user,
        CancellationToken cancellationToken)
    {
        var (db, http, audit) = (context.Db, context.Http, context.Audit);
        if (user.PhoneNumber is null)
        {
            audit.About(user, AuditEvents.SignInRefused, "no phone number for SMS code");
            await db.SaveChangesAsync(cancellationToken);
            return (null, PhoneNumberMissing());
        }

        if (!Phones.CountryAllowed(user.PhoneNumber, user.Organisation.AllowedSmsCountries))
        {
            audit.About(user, AuditEvents.MfaSendFailed, ProblemCodes.CountryNotAllowed);
            await db.SaveChangesAsync(cancellationToken);
            return (null, CountryNotAllowed(user));
        }

        var (issued, failure) = await context.Challenges.CreateAsync(user.OrganisationId, user.Id, ChallengePurposes.SignIn,
            user.PhoneNumber, http.Connection.RemoteIpAddress?.ToString(), user.NeedsSmsSecondFactor, cancellationToken,
            User.LocaleFor(user, user.Organisation));
        if (failure is not null)
        {
            audit.About(user, AuditEvents.MfaSendFailed, failure.Code);
            await db.SaveChangesAsync(cancellationToken);
            return (null, Passthrough(failure));
        }

        audit.About(user, AuditEvents.MfaCodeSent,
            $"sign-in code to {Phones.Mask(user.PhoneNumber)}{(user.PhoneVerified ? "" : " (number not yet verified)")}");
        return (issued, null);
    }

    /// <summary>Checks an SMS code of a ticket against Challenges, under the per-user limit. Null when
    /// the code was right (the ticket is then used up); else the refusal to answer with.</summary>
    /// <param name="consumeTicket">False where the ticket goes on after the code (an authenticator enrollment's proof).</param>
    public static async Task<ApiProblem?> CheckCodeAsync(SignInContext context, SecondFactorGuard guard, LoginTicket ticket, User user,
        string code,
        CancellationToken cancellationToken, bool consumeTicket = true)
    {
        var (db, time, audit) = (context.Db, context.Time, context.Audit);
        var locked = await guard.EnterAsync(db, user, cancellationToken);
        if (locked is not null) return locked;

        var (verified, failure) = await context.Challenges.VerifyAsync(ticket.ChallengeId!, code, ChallengePurposes.SignIn,
            cancellationToken);
        if (failure is not null)
        {
            if (failure.Refusal is { EndsChallenge: true }) await MfaApi.ConsumeAsync(db, ticket, time.GetUtcNow(), cancellationToken);
            var wrongCode = failure.Is(ChallengeRefusalCode.InvalidCode);
            var lockedOut = failure.Is(ChallengeRefusalCode.TooManyAttempts);
            if (!wrongCode && !lockedOut)
            {
                await guard.ReleaseAsync(db, user, cancellationToken);
                return failure.Refusal is { EndsChallenge: true } ? MfaApi.ChallengeExpired() : Passthrough(failure);
            }

            audit.About(user, AuditEvents.MfaCodeFailed,
                lockedOut ? "too many wrong codes; sign-in ended" : $"wrong code; {failure.Refusal!.AttemptsLeft} attempts left");
            await db.SaveChangesAsync(cancellationToken);
            return await guard.FailedAsync(db, audit, user, SecondFactors.Sms, cancellationToken)
                ?? (wrongCode ? MfaApi.InvalidCode(failure.Refusal!.AttemptsLeft ?? 0) : MfaApi.TooManyAttempts());
        }

        // The number changed while the code was on its way: the code proves the old number only.
        if (verified!.Destination != user.PhoneNumber || verified.UserId != user.Id
            || consumeTicket && !await MfaApi.ConsumeAsync(db, ticket, time.GetUtcNow(), cancellationToken))
        {
            await MfaApi.ConsumeAsync(db, ticket, time.GetUtcNow(), cancellationToken);
            await guard.ReleaseAsync(db, user, cancellationToken);
            return MfaApi.ChallengeExpired();
        }

        await guard.SucceededAsync(db, user, cancellationToken);
        if (!user.PhoneVerified)
        {
            user.PhoneVerified = true;
            audit.BySelf(user, AuditEvents.PhoneVerified, $"{Phones.Mask(user.PhoneNumber!)} verified by its first sign-in code");
        }

        return null;
    }

    /// <summary>The code from the SMS. Right → tokens (and a device token when asked); the ticket works once.</summary>
    public static async Task<Results<Ok<SignedIn>, ApiProblem>> VerifyAsync(
        SignInContext context, SecondFactorGuard guard, LoginTicket ticket, User user, string code, bool rememberDevice, string? deviceName,
        CancellationToken cancellationToken)
    {
        var refusal = await CheckCodeAsync(context, guard, ticket, user, code, cancellationToken);
        if (refusal is not null) return refusal;

        context.Audit.BySelf(user, AuditEvents.MfaVerified, "SMS code");
        return TypedResults.Ok(await context.CompleteSecondFactorAsync(user, ticket, [AuthMethods.Password, AuthMethods.Sms], rememberDevice,
            deviceName, cancellationToken));
    }

    public static ApiProblem PhoneNumberMissing() =>
        new ApiProblem(StatusCodes.Status403Forbidden, ProblemCodes.PhoneNumberMissing, "No phone number for your sign-in code.",
            "Signing in needs a code by text message, and your account has no phone number. Ask your administrator to add your mobile " +
                "number.");

    /// <summary>A number in a country the organisation does not send codes to: a missing number, as far as
    /// signing in goes (<c>reason</c> says which).</summary>
    internal static ApiProblem CountryNotAllowed(User user) =>
        new ApiProblem(StatusCodes.Status403Forbidden, ProblemCodes.PhoneNumberMissing, "Your phone number cannot receive sign-in codes.",
            $"Your organisation does not send sign-in codes to numbers in {Phones.RegionOf(user.PhoneNumber!)}. "
            + "Ask your administrator to add a mobile number from an allowed country.")
            .With("reason", ProblemCodes.CountryNotAllowed);

    /// <summary>A refusal the user can act on (wait, ask again), as Challenges worded it.</summary>
    public static ApiProblem Passthrough(ChallengesFailure failure)
    {
        var problem = new ApiProblem(failure.Status, failure.Code, failure.Title, failure.Detail);
        foreach (var (member, value) in failure.Extra) problem.With(member, value);
        return failure.RetryAfter is { } wait ? problem.WithRetryAfter(wait) : problem;
    }
}

/// <summary>What every sign-in step needs, in one place.</summary>
public sealed class SignInContext(AccountsDbContext db, Tokens tokens, ChallengesClient challenges, TimeProvider time,
    IHttpContextAccessor accessor, AuditLog audit, SecurityNotices notices,
    Microsoft.Extensions.Options.IOptions<MfaOptions> options, Microsoft.Extensions.Options.IOptions<SessionLimits> sessionOptions)
{
    public AccountsDbContext Db { get; } = db;

    public ChallengesClient Challenges { get; } = challenges;

    /// <summary>E-mails to the user about changes on their account (a new device, a new number).</summary>
    public SecurityNotices Notices { get; } = notices;

    public TimeProvider Time { get; } = time;

    public HttpContext Http { get; } = accessor.HttpContext!;

    public AuditLog Audit { get; } = audit;

    public MfaOptions Options { get; } = options.Value;

    /// <summary>Adds a login ticket for the second step to the context; returns the value for the client.</summary>
    public (string Ticket, DateTimeOffset ExpiresAt) IssueLoginTicket(User user, string client, string method, string? challengeId = null,
        Guid? stepUpSession = null)
    {
        var now = Time.GetUtcNow();
        var ticket = OpaqueTokens.New();
        var expiresAt = now + Options.LoginTicketLifetime;
        Db.LoginTickets.Add(new LoginTicket
        {
            TokenHash = OpaqueTokens.Hash(ticket),
            Role = user.Role,
            Client = client,
            Method = method,
            ChallengeId = challengeId,
            StepUpSessionId = stepUpSession,
            ExpiresAt = expiresAt,
        }.BelongingTo(user, now));
        return (ticket, expiresAt);
    }

    /// <summary>A login ticket's second factor is proven (the ticket is used up): the session, and with
    /// <paramref name="rememberDevice"/> on a Control Centre browser a trusted device, whatever the factor was.</summary>
    public async Task<SignedIn> CompleteSecondFactorAsync(User user, LoginTicket ticket, IReadOnlyCollection<string> amr, bool rememberDevice,
        string? deviceName, CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        var sessionId = Guid.CreateVersion7(now);
        string? deviceToken = null;
        Guid? deviceId = null;
        // Trusted devices are Control Centre browsers; the mobile app keeps its session instead.
        if (rememberDevice && ticket.Client == Clients.ControlCentre && !Assurance.NeedsPasskey(user.Role, ticket.Client, user.Organisation))
        {
            var (device, token) = TrustedDevices.Add(Db, user, deviceName ?? Http.Request.Headers.UserAgent.ToString(), sessionId, now,
                user.Organisation.TrustedDevicePeriodDays);
            (deviceToken, deviceId) = (token, device.Id);
            Audit.BySelf(user, AuditEvents.TrustedDeviceAdded, $"device {device.Id} trusted until {device.TrustedUntil:O}");
            await Notices.AddAsync(user, EmailTemplates.NewDevice, locale => $"{device.Name}, {EmailTemplates.When(now, locale)}",
                cancellationToken);
        }

        var signedIn = await CompleteAsync(user, ticket.Client, amr, secondFactorNow: true, deviceId, cancellationToken, sessionId);
        return signedIn with { DeviceToken = deviceToken };
    }

    /// <summary>Every factor the rule asks for is done: a new session with its tokens, the audit entry,
    /// one save. A sign-in with a second factor also clears the address's count of wrong passwords.</summary>
    public async Task<SignedIn> CompleteAsync(User user, string client, IReadOnlyCollection<string> amr, bool secondFactorNow,
        Guid? trustedDeviceId,
        CancellationToken cancellationToken, Guid? sessionId = null)
    {
        var now = Time.GetUtcNow();
        user.LastSignInAt = now;
        var session = Sessions.Open(Db, user, client, amr, secondFactorNow, trustedDeviceId, now, sessionOptions.Value, sessionId);
        var signedIn = tokens.Issue(Db, user, session);
        if (Assurance.IsMultiFactor(session.Acr)) await SignInThrottles.ClearAsync(Db, SignInThrottles.ForEmail(user.NormalizedEmail),
            cancellationToken);
        Audit.BySelf(user, AuditEvents.SignInSucceeded,
            $"client {client}; {string.Join("+", session.Amr)} ({session.Acr}); session {session.Id}");
        // Every password sign-in of the app is a new device (later ones refresh); browsers count once remembered (above).
        if (client == Clients.Mobile)
        {
            await Notices.AddAsync(user, EmailTemplates.NewDevice, locale => $"FlexWhere for Mobile, {EmailTemplates.When(now, locale)}", cancellationToken);
        }
        await Db.SaveChangesAsync(cancellationToken);
        return await signedIn.WithPinFlagsAsync(Db, user.OrganisationId, session.Id, client, cancellationToken);
    }
}
