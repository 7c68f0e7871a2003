using System.Text.Json;

namespace FlexWhere.Accounts.Mfa;

public sealed record LoginTicketRequest(string? LoginTicket);

/// <param name="Credential">The browser's answer (<c>PublicKeyCredential.toJSON()</c>).</param>
public sealed record PasskeyVerifyRequest(string? LoginTicket, Guid? CeremonyId, JsonElement Credential, bool RememberDevice = false,
    string? DeviceName = null);

public sealed record PasswordlessRequest(Guid? CeremonyId, JsonElement Credential, string? Client);

/// <summary>Which second factors may prove it is the user, the strongest first: the one rule for finishing a sign-in and for
/// a step-up. The organisation's factor list applies to the Control Centre; passkeys work only there (a browser).</summary>
public static class SecondFactorMethods
{
    public static Task<List<string>> ForControlCentreAsync(AccountsDbContext db, User user, CancellationToken cancellationToken) =>
        ForAsync(db, user, Clients.ControlCentre, cancellationToken);

    /// <param name="user">With its organisation loaded.</param>
    public static async Task<List<string>> ForAsync(AccountsDbContext db, User user, string client, CancellationToken cancellationToken)
    {
        var organisation = user.Organisation;
        var controlCentre = client == Clients.ControlCentre;
        // Under the passkey rule nothing weaker proves it is an admin, at sign-in or at a step-up.
        var passkeyOnly = Assurance.NeedsPasskey(user.Role, client, organisation);
        var askPasskey = controlCentre && (passkeyOnly || organisation.ControlCentreFactors.Contains(SecondFactors.Passkey));
        var askTotp = !passkeyOnly && (!controlCentre || organisation.ControlCentreFactors.Contains(SecondFactors.Totp));
        // One round trip for the three: a sign-in asks at the password and again at the code (docs/benchmarks.md).
        var has = await db.Users.Where(u => u.Id == user.Id).Select(u => new
        {
            Passkey = askPasskey && db.Passkeys.Any(p => p.UserId == u.Id),
            Totp = askTotp && db.TotpFactors.Where(MobileTotp.Confirmed).Any(f => f.UserId == u.Id),
            RecoveryCode = db.RecoveryCodes.Any(c => c.UserId == u.Id && c.UsedAt == null),
        }).SingleOrDefaultAsync(cancellationToken);
        var methods = new List<string>();
        if (has is { Passkey: true }) methods.Add(SecondFactors.Passkey);
        if (!passkeyOnly)
        {
            if (has is { Totp: true }) methods.Add(SecondFactors.Totp);
            if (user.PhoneNumber is not null) methods.Add(SecondFactors.Sms);
        }

        // The way back in when every other factor is lost, under every rule.
        if (has is { RecoveryCode: true }) methods.Add(SecondFactors.RecoveryCode);
        return methods;
    }

    public static ApiProblem NotAllowed(string method, IReadOnlyList<string> methods) =>
        new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.SecondFactorNotAllowed, "Not a way you can sign in here.",
            $"Your account or your organisation's rules do not allow '{method}' for this sign-in; use one of: {string.Join(", ", methods)}.")
            .With("methods", methods);
}

/// <summary>
/// Passkeys at sign-in: as the second factor after the password (<c>/api/auth/mfa/passkey</c>), or without a password
/// where the organisation allows it (<c>/api/auth/passkey</c>, a discoverable passkey with user verification); and the
/// switch to a text message for a user whose preferred factor is another.
/// </summary>
public static class PasskeySignIn
{
    public static IEndpointRouteBuilder MapPasskeySignInApi(this IEndpointRouteBuilder app)
    {
        var mfa = app.MapGroup("/api/auth/mfa").WithTags("Sign-in");
        mfa.MapPost("/sms", TextCode).WithName("ChooseSmsCode")
            .WithSummary("Control Centre: finish this sign-in with a code by SMS instead of the preferred factor (sends the code).");
        mfa.MapPost("/passkey/options", SecondFactorOptions).WithName("PasskeySecondFactorOptions")
            .WithSummary("Options for navigator.credentials.get() to prove the second factor of a login ticket with a passkey.");
        mfa.MapPost("/passkey", VerifySecondFactor).WithName("VerifyPasskey")
            .WithSummary("The passkey's answer for a login ticket; with rememberDevice, also a device token.");
        var passwordless = app.MapGroup("/api/auth/passkey").WithTags("Sign-in");
        passwordless.MapPost("/options", PasswordlessOptions).WithName("PasswordlessOptions")
            .WithSummary("Options for navigator.credentials.get() to sign in with a passkey alone, where the organisation allows it.");
        passwordless.MapPost("", Passwordless).WithName("PasswordlessSignIn")
            .WithSummary("Sign in to the Control Centre with a discoverable passkey and its user verification, without a password.");
        return app;
    }

    public static async Task<Results<Ok<SignedIn>, Ok<MfaRequired>, ApiProblem>> TextCode(LoginTicketRequest? request,
        SignInContext context, CancellationToken cancellationToken)
    {
        var (ticket, user, methods, problem) = await OpenControlCentreAsync(context, request?.LoginTicket, SecondFactors.Sms,
            cancellationToken);
        if (problem is not null) return problem;
        // Claimed in one conditional UPDATE: of two requests at once only one texts a code.
        var preferred = ticket!.Method;
        if (ticket.ChallengeId is not null || await context.Db.LoginTickets
                .Where(t => t.Id == ticket.Id && t.ChallengeId == null && t.Method != SecondFactors.Sms)
                .ExecuteUpdateAsync(set => set.SetProperty(t => t.Method, SecondFactors.Sms), cancellationToken) == 0)
        {
            return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.CodeNotSent, "A code was sent already.",
                "The code for this sign-in is on its way: enter it, or ask for a new one with POST /api/auth/mfa/resend.");
        }

        var answer = await SmsSignIn.TextCodeAsync(context, user!, ticket.Client, methods, cancellationToken, (ticket, request!.LoginTicket!));
        if (answer.Result is ApiProblem)
        {
            // Not sent (a limit, Challenges away): the user may ask again, or use the factor they had.
            await context.Db.LoginTickets.Where(t => t.Id == ticket.Id && t.ChallengeId == null)
                .ExecuteUpdateAsync(set => set.SetProperty(t => t.Method, preferred), cancellationToken);
        }

        return answer;
    }

    public static async Task<Results<Ok<PasskeyPrompt>, ApiProblem>> SecondFactorOptions(LoginTicketRequest? request,
        SignInContext context, PasskeyCeremonies passkeys, CancellationToken cancellationToken)
    {
        var (ticket, user, _, problem) = await OpenControlCentreAsync(context, request?.LoginTicket, SecondFactors.Passkey,
            cancellationToken);
        if (problem is not null) return problem;
        return TypedResults.Ok(await passkeys.StartAssertionAsync(user!, ticket!.Id, cancellationToken));
    }

    public static async Task<Results<Ok<SignedIn>, ApiProblem>> VerifySecondFactor(PasskeyVerifyRequest? request, SignInContext context,
        PasskeyCeremonies passkeys, CancellationToken cancellationToken)
    {
        if (request?.CeremonyId is null) return ApiProblem.Validation("ceremonyId", "Send ceremonyId from the passkey options.");
        if (request.DeviceName is { Length: > TrustedDevice.MaxNameLength }) return ApiProblem.Validation("deviceName",
            $"deviceName is at most {TrustedDevice.MaxNameLength} characters.");
        var (ticket, user, _, problem) = await OpenControlCentreAsync(context, request.LoginTicket, SecondFactors.Passkey, cancellationToken);
        if (problem is not null) return problem;

        var (passkey, refusal) = await passkeys.FinishAssertionAsync(request.CeremonyId.Value, WebAuthnPurposes.SecondFactor, ticket!.Id,
            user, request.Credential, cancellationToken);
        if (refusal is not null)
        {
            await MfaApi.CountFailureAsync(context, ticket, cancellationToken);
            return refusal;
        }

        if (!await MfaApi.ConsumeAsync(context.Db, ticket, context.Time.GetUtcNow(), cancellationToken)) return MfaApi.ChallengeExpired();
        context.Audit.BySelf(user!, AuditEvents.MfaVerified, $"passkey {passkey!.Id} ({passkey.Name})");
        return TypedResults.Ok(await context.CompleteSecondFactorAsync(user!, ticket,
            [AuthMethods.Password, PasskeyCeremonies.MethodOf(passkey)], request.RememberDevice, request.DeviceName, cancellationToken));
    }

    public static async Task<Ok<PasskeyPrompt>> PasswordlessOptions(PasskeyCeremonies passkeys, CancellationToken cancellationToken) =>
        TypedResults.Ok(await passkeys.StartAssertionAsync(null, null, cancellationToken));

    public static async Task<Results<Ok<SignedIn>, ApiProblem>> Passwordless(PasswordlessRequest? request, SignInContext context,
        PasskeyCeremonies passkeys, CancellationToken cancellationToken)
    {
        if (request?.CeremonyId is null) return ApiProblem.Validation("ceremonyId", "Send ceremonyId from the passkey options.");
        if (request.Client != Clients.ControlCentre)
        {
            return ApiProblem.Validation("client", "Passkeys sign in to the Control Centre: send client \"control-centre\".");
        }

        var (passkey, refusal) = await passkeys.FinishAssertionAsync(request.CeremonyId.Value, WebAuthnPurposes.Passwordless, null, null,
            request.Credential, cancellationToken);
        if (refusal is not null) return refusal;

        var user = await context.Db.Users.Include(u => u.Organisation).SingleAsync(u => u.Id == passkey!.UserId, cancellationToken);
        var organisation = user.Organisation;
        if (!user.Active || !organisation.PasswordlessSignIn || !organisation.ControlCentreFactors.Contains(SecondFactors.Passkey)
            && !Assurance.NeedsPasskey(user.Role, Clients.ControlCentre, organisation))
        {
            context.Audit.About(user, AuditEvents.SignInRefused, user.Active ? "passwordless sign-in not allowed" : "account disabled");
            await context.Db.SaveChangesAsync(cancellationToken);
            return new ApiProblem(StatusCodes.Status403Forbidden, ProblemCodes.PasswordlessNotAllowed, "Sign in with your password first.",
                "Your organisation does not allow signing in with a passkey alone: sign in with your e-mail address and password, then "
                + "use your passkey.");
        }

        context.Audit.BySelf(user, AuditEvents.MfaVerified, $"passkey {passkey!.Id} ({passkey.Name}) with user verification, no password");
        return TypedResults.Ok(await context.CompleteAsync(user, Clients.ControlCentre, [PasskeyCeremonies.MethodOf(passkey), AuthMethods.MultiFactor],
            secondFactorNow: true, null, cancellationToken));
    }

    /// <summary>A Control Centre login ticket whose user may use <paramref name="method"/> now.</summary>
    private static async Task<(LoginTicket? Ticket, User? User, List<string>? Methods, ApiProblem? Problem)> OpenControlCentreAsync(
        SignInContext context, string? loginTicket, string method, CancellationToken cancellationToken)
    {
        if (!OpaqueTokens.LooksValid(loginTicket)) return (null, null, null, ApiProblem.Validation("loginTicket", "Send loginTicket."));
        var (ticket, user, problem) = await MfaApi.OpenAsync(context, loginTicket!, cancellationToken);
        if (problem is not null) return (null, null, null, problem);
        if (ticket!.Client != Clients.ControlCentre) return (null, null, null, SecondFactorMethods.NotAllowed(method, [ticket.Method]));
        var methods = await SecondFactorMethods.ForControlCentreAsync(context.Db, user!, cancellationToken);
        return methods.Contains(method) ? (ticket, user, methods, null) : (null, null, null, SecondFactorMethods.NotAllowed(method, methods));
    }
}
