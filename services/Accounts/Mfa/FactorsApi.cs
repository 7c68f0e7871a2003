using System.Text.Json;

namespace FlexWhere.Accounts.Mfa;

/// <param name="Credential">The browser's answer to the registration options (<c>PublicKeyCredential.toJSON()</c>).</param>
public sealed record RegisterPasskeyRequest(Guid? CeremonyId, string? Name, JsonElement Credential);

public sealed record RenamePasskeyRequest(string? Name);

public sealed record ConfirmAuthenticatorRequest(string? Code);

/// <summary>
/// The signed-in user's stronger factors for the Control Centre: passkeys (register after a step-up, list, rename,
/// remove) and the authenticator app (the same one the mobile app uses: one implementation, two uses). Each change is
/// audited and e-mailed to the user.
/// </summary>
public static class FactorsApi
{
    public static IEndpointRouteBuilder MapFactorsApi(this IEndpointRouteBuilder app)
    {
        var passkeys = app.MapGroup("/api/me/passkeys").WithTags("Account security").RequireAuthorization(Policies.AdminOrManager);
        passkeys.MapGet("", List).WithName("ListPasskeys");
        passkeys.MapPost("/options", RegistrationOptions).RequireStepUp().WithName("PasskeyRegistrationOptions")
            .WithSummary("Options for navigator.credentials.create() to add a passkey (after a step-up).");
        passkeys.MapPost("", Register).RequireStepUp().WithName("RegisterPasskey")
            .WithSummary("The browser's answer to the registration options, with a name for the passkey.");
        passkeys.MapPut("/{id:guid}", Rename).WithName("RenamePasskey");
        passkeys.MapDelete("/{id:guid}", Remove).RequireStepUp().WithName("RemovePasskey")
            .WithSummary("Remove a passkey; an admin's last one cannot go while the organisation requires passkeys for admins.");
        var authenticator = app.MapGroup("/api/me/authenticator").WithTags("Account security")
            .RequireAuthorization(Policies.AdminOrManager);
        authenticator.MapPost("", StartAuthenticator).RequireStepUp().WithName("StartAuthenticator")
            .WithSummary("A new authenticator app secret (base32, otpauth URI, QR code as SVG); confirm it with a code from the app.");
        authenticator.MapPost("/confirm", ConfirmAuthenticator).RequireStepUp().WithName("ConfirmAuthenticator");
        authenticator.MapDelete("", RemoveAuthenticator).RequireStepUp().WithName("RemoveAuthenticator");
        return app;
    }

    public static async Task<Ok<List<PasskeyDto>>> List(ClaimsPrincipal principal, AccountsDbContext db, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var passkeys = await db.Passkeys.Where(p => p.UserId == caller.UserId && p.OrganisationId == caller.OrganisationId)
            .OrderBy(p => p.CreatedAt).ToListAsync(cancellationToken);
        return TypedResults.Ok(passkeys.Select(PasskeyDto.From).ToList());
    }

    public static async Task<Results<Ok<PasskeyPrompt>, ApiProblem>> RegistrationOptions(HttpContext http, ClaimsPrincipal principal,
        AccountsDbContext db, PasskeyCeremonies ceremonies, CancellationToken cancellationToken)
    {
        var user = await SelfAsync(db, principal, cancellationToken);
        if (!Allowed(user.Organisation, SecondFactors.Passkey)) return FactorNotAllowed("passkeys");
        return TypedResults.Ok(await ceremonies.StartRegistrationAsync(user, SessionOf(http), cancellationToken));
    }

    public static async Task<Results<Created<PasskeyDto>, ApiProblem>> Register(RegisterPasskeyRequest? request, HttpContext http,
        ClaimsPrincipal principal, AccountsDbContext db, PasskeyCeremonies ceremonies, AuditLog audit, SecurityNotices notices,
        CancellationToken cancellationToken)
    {
        if (request?.CeremonyId is null) return ApiProblem.Validation("ceremonyId", "Send ceremonyId from the registration options.");
        if (NameProblem(request.Name) is { } badName) return badName;
        var user = await SelfAsync(db, principal, cancellationToken);
        if (!Allowed(user.Organisation, SecondFactors.Passkey)) return FactorNotAllowed("passkeys");

        var name = request.Name!.Trim();
        var (passkey, refusal) = await ceremonies.FinishRegistrationAsync(user, SessionOf(http), request.CeremonyId.Value, request.Credential,
            name, cancellationToken);
        if (refusal is not null) return refusal;

        audit.ByCaller(AuditEvents.PasskeyRegistered, user.Id,
            $"passkey {passkey!.Id} ({name}; {(passkey.BackupEligible ? "synced" : "device-bound")}, AAGUID {passkey.AaGuid})");
        await notices.AddAsync(user, EmailTemplates.FactorAdded, locale => EmailTemplates.Passkey(name, locale), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/me/passkeys/{passkey.Id}", PasskeyDto.From(passkey));
    }

    public static async Task<Results<Ok<PasskeyDto>, ApiProblem>> Rename(Guid id, RenamePasskeyRequest? request, ClaimsPrincipal principal,
        AccountsDbContext db, AuditLog audit, CancellationToken cancellationToken)
    {
        if (NameProblem(request?.Name) is { } badName) return badName;
        var caller = Caller.From(principal);
        var passkey = await db.Passkeys.SingleOrDefaultAsync(p => p.Id == id && p.UserId == caller.UserId, cancellationToken);
        if (passkey is null) return AccountsRefusals.NotFound("passkey");

        var name = request!.Name!.Trim();
        audit.ByCaller(AuditEvents.PasskeyRenamed, caller.UserId, $"passkey {passkey.Id}: {passkey.Name} → {name}");
        passkey.Name = name;
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(PasskeyDto.From(passkey));
    }

    public static async Task<Results<NoContent, ApiProblem>> Remove(Guid id, ClaimsPrincipal principal, AccountsDbContext db,
        AuditLog audit, SecurityNotices notices, CancellationToken cancellationToken)
    {
        var user = await SelfAsync(db, principal, cancellationToken);
        var passkey = await db.Passkeys.SingleOrDefaultAsync(p => p.Id == id && p.UserId == user.Id, cancellationToken);
        if (passkey is null) return AccountsRefusals.NotFound("passkey");
        if (Assurance.NeedsPasskey(user.Role, Clients.ControlCentre, user.Organisation)
            && await db.Passkeys.CountAsync(p => p.UserId == user.Id, cancellationToken) == 1)
        {
            return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.LastPasskey, "This is your last passkey.",
                "Your organisation requires administrators to sign in with a passkey: add another passkey before you remove this one.");
        }

        db.Passkeys.Remove(passkey);
        audit.ByCaller(AuditEvents.PasskeyRemoved, user.Id, $"passkey {passkey.Id} ({passkey.Name})");
        await notices.AddAsync(user, EmailTemplates.FactorRemoved, locale => EmailTemplates.Passkey(passkey.Name, locale), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<TotpEnrollmentResponse>, ApiProblem>> StartAuthenticator(ClaimsPrincipal principal,
        AccountsDbContext db, MobileTotp totp, AuditLog audit, CancellationToken cancellationToken)
    {
        var user = await SelfAsync(db, principal, cancellationToken);
        if (!Allowed(user.Organisation, SecondFactors.Totp)) return FactorNotAllowed("authenticator apps");
        var enrollment = await totp.StartEnrollmentAsync(db, user, audit, cancellationToken);
        return enrollment is null
            ? new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.TotpAlreadyEnrolled, "Your authenticator app is already set up.",
                "Remove it first (DELETE /api/me/authenticator) to link another one.")
            : TypedResults.Ok(enrollment);
    }

    public static async Task<Results<NoContent, ApiProblem>> ConfirmAuthenticator(ConfirmAuthenticatorRequest? request,
        ClaimsPrincipal principal, AccountsDbContext db, MobileTotp totp, AuditLog audit, SecurityNotices notices, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var code = new string((request?.Code ?? "").Where(c => !char.IsWhiteSpace(c)).ToArray());
        if (code.Length != 6 || !code.All(char.IsAsciiDigit)) return ApiProblem.Validation("code", "Send the six digits your app shows.");
        var user = await SelfAsync(db, principal, cancellationToken);
        if (await MobileTotp.IsEnrolledAsync(db, user.Id, cancellationToken))
        {
            return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.TotpAlreadyEnrolled, "Your authenticator app is already set up.",
                "It is confirmed already; sign in with its codes.");
        }

        var outcome = await totp.VerifyAsync(db, user, code, audit, cancellationToken);
        switch (outcome.Verdict)
        {
            case TotpVerdict.NotEnrolled:
                return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.TotpNotEnrolled, "Set up your authenticator app first.",
                    "Get a secret with POST /api/me/authenticator, add it to your app, then send the code it shows.");
            case TotpVerdict.Locked:
                return new ApiProblem(StatusCodes.Status429TooManyRequests, ProblemCodes.TooManyAttempts, "Too many wrong codes.",
                    "Too many wrong authenticator codes. Wait until the lock ends, then try again.")
                    .WithRetryAfter(outcome.LockedUntil!.Value - time.GetUtcNow());
            case TotpVerdict.Wrong or TotpVerdict.Replayed:
                return new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.InvalidCode, "That code is not right.",
                    "Check the time on your phone and send the code your app shows now.");
        }

        await notices.AddAsync(user, EmailTemplates.FactorAdded,
            locale => $"{EmailTemplates.Authenticator(locale)}, {EmailTemplates.When(time.GetUtcNow(), locale)}", cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<NoContent, ApiProblem>> RemoveAuthenticator(ClaimsPrincipal principal, AccountsDbContext db,
        AuditLog audit, SecurityNotices notices, CancellationToken cancellationToken)
    {
        var user = await SelfAsync(db, principal, cancellationToken);
        if (await db.TotpFactors.Where(f => f.UserId == user.Id).ExecuteDeleteAsync(cancellationToken) == 0)
        {
            return AccountsRefusals.NotFound("authenticator app");
        }

        audit.ByCaller(AuditEvents.AuthenticatorRemoved, user.Id, "authenticator app removed by its user");
        await notices.AddAsync(user, EmailTemplates.FactorRemoved, EmailTemplates.Authenticator, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static Task<User> SelfAsync(AccountsDbContext db, ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        return db.Users.Include(u => u.Organisation)
            .SingleAsync(u => u.Id == caller.UserId && u.OrganisationId == caller.OrganisationId, cancellationToken);
    }

    private static Guid SessionOf(HttpContext http) => http.Features.Get<SessionState>()!.Session.Id;

    private static bool Allowed(Organisation organisation, string factor) => organisation.ControlCentreFactors.Contains(factor);

    private static ApiProblem FactorNotAllowed(string what) =>
        new(StatusCodes.Status403Forbidden, ProblemCodes.FactorNotAllowed, $"Your organisation does not use {what}.",
            $"An administrator can allow {what} in the organisation's settings.");

    private static ApiProblem? NameProblem(string? name) =>
        string.IsNullOrWhiteSpace(name) || name.Trim().Length > Passkey.MaxNameLength
            ? ApiProblem.Validation("name", $"Give the passkey a name of at most {Passkey.MaxNameLength} characters, e.g. \"YubiKey\".")
            : null;
}
