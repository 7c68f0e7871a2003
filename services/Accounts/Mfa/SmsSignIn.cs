using System.Text.Json.Serialization;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Auth;
using FlexWhere.Accounts.Data;
using FlexWhere.Accounts.Mobile;
using FlexWhere.Accounts.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.Mfa;

/// <summary>The second step's instructions; <c>phoneHint</c> and <c>resendAfter</c> only for SMS.</summary>
public sealed record MfaRequired(
    string Status, string Method, string LoginTicket,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PhoneHint,
    DateTimeOffset ExpiresAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? ResendAfter);

/// <summary>The Control Centre's second factor: a trusted device, or a code by SMS to the user's phone.</summary>
public static class SmsSignIn
{
    /// <summary>After the right password: tokens at once on a trusted device, else an SMS code and a login ticket.</summary>
    public static async Task<Results<Ok<SignedIn>, Ok<MfaRequired>, ProblemHttpResult>> StartAsync(
        SignInContext context, User user, string? deviceToken, CancellationToken cancellationToken)
    {
        var (db, http, time) = (context.Db, context.Http, context.Time);
        var now = time.GetUtcNow();
        var device = await TrustedDevices.FindTrustedAsync(db, user, deviceToken, now, cancellationToken);
        if (device is not null)
        {
            var sessionId = Guid.CreateVersion7(now);
            TrustedDevices.Slide(device, sessionId, now, user.Organisation.TrustedDevicePeriodDays);
            db.Record(http, time, user.OrganisationId, AuditEvents.TrustedDeviceUsed, actor: user.Id, subject: user.Id, details: $"device {device.Id}");
            return TypedResults.Ok(await context.CompleteAsync(user, Clients.ControlCentre, sessionId, cancellationToken));
        }

        if (user.PhoneNumber is null)
        {
            db.Record(http, time, user.OrganisationId, AuditEvents.SignInRefused, subject: user.Id, details: "no phone number for SMS code");
            await db.SaveChangesAsync(cancellationToken);
            return PhoneNumberMissing();
        }

        var (issued, refusal) = await context.Challenges.CreateAsync(user.OrganisationId, user.Id, ChallengePurposes.SignIn, user.PhoneNumber,
            user.Organisation.AllowedSmsCountries, http.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        if (refusal is not null)
        {
            db.Record(http, time, user.OrganisationId, AuditEvents.MfaSendFailed, subject: user.Id, details: refusal.Code);
            await db.SaveChangesAsync(cancellationToken);
            return refusal.Code == "country_not_allowed" ? CountryNotAllowed(user) : Passthrough(http, refusal);
        }

        var (ticket, _) = context.IssueLoginTicket(user, Clients.ControlCentre, SecondFactors.Sms, issued!.ChallengeId);
        db.Record(http, time, user.OrganisationId, AuditEvents.MfaCodeSent, subject: user.Id,
            details: $"sign-in code to {Phones.Mask(user.PhoneNumber)}{(user.PhoneVerified ? "" : " (number not yet verified)")}");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new MfaRequired("mfa_required", SecondFactors.Sms, ticket, Phones.Mask(user.PhoneNumber), issued.ExpiresAt, issued.ResendAfter));
    }

    /// <summary>The code from the SMS. Right → tokens (and a device token when asked); the ticket works once.</summary>
    public static async Task<Results<Ok<SignedIn>, ProblemHttpResult>> VerifyAsync(
        SignInContext context, LoginTicket ticket, User user, string code, bool rememberDevice, string? deviceName, CancellationToken cancellationToken)
    {
        var (db, http, time) = (context.Db, context.Http, context.Time);
        var (verified, refusal) = await context.Challenges.VerifyAsync(ticket.ChallengeId!, code, ChallengePurposes.SignIn, cancellationToken);
        if (refusal is not null)
        {
            var dead = refusal.Code is "too_many_attempts" or "challenge_expired" or "challenge_already_used" or "challenge_not_found";
            if (dead) await MfaApi.ConsumeAsync(db, ticket, time.GetUtcNow(), cancellationToken);
            if (refusal.Code is "invalid_code" or "too_many_attempts")
            {
                db.Record(http, time, user.OrganisationId, AuditEvents.MfaCodeFailed, subject: user.Id,
                    details: refusal.Code == "too_many_attempts" ? "too many wrong codes; sign-in ended" : $"wrong code; {refusal.AttemptsLeft} attempts left");
                await db.SaveChangesAsync(cancellationToken);
            }

            return refusal.Code switch
            {
                "invalid_code" => MfaApi.InvalidCode(refusal.AttemptsLeft ?? 0),
                "too_many_attempts" => MfaApi.TooManyAttempts(),
                "challenge_expired" or "challenge_already_used" or "challenge_not_found" => MfaApi.ChallengeExpired(),
                _ => Passthrough(http, refusal),
            };
        }

        // The number changed while the code was on its way: the code proves the old number only.
        if (verified!.Destination != user.PhoneNumber || verified.UserId != user.Id)
        {
            await MfaApi.ConsumeAsync(db, ticket, time.GetUtcNow(), cancellationToken);
            return MfaApi.ChallengeExpired();
        }

        if (!await MfaApi.ConsumeAsync(db, ticket, time.GetUtcNow(), cancellationToken)) return MfaApi.ChallengeExpired();

        if (!user.PhoneVerified)
        {
            user.PhoneVerified = true;
            db.Record(http, time, user.OrganisationId, AuditEvents.PhoneVerified, actor: user.Id, subject: user.Id,
                details: $"{Phones.Mask(user.PhoneNumber!)} verified by its first sign-in code");
        }

        db.Record(http, time, user.OrganisationId, AuditEvents.MfaVerified, actor: user.Id, subject: user.Id, details: "SMS code");
        var now = time.GetUtcNow();
        var sessionId = Guid.CreateVersion7(now);
        string? deviceToken = null;
        if (rememberDevice)
        {
            var (device, token) = TrustedDevices.Add(db, user, deviceName ?? http.Request.Headers.UserAgent.ToString(), sessionId, now, user.Organisation.TrustedDevicePeriodDays);
            deviceToken = token;
            db.Record(http, time, user.OrganisationId, AuditEvents.TrustedDeviceAdded, actor: user.Id, subject: user.Id,
                details: $"device {device.Id} trusted until {device.TrustedUntil:O}");
        }

        var signedIn = await context.CompleteAsync(user, ticket.Client, sessionId, cancellationToken);
        return TypedResults.Ok(signedIn with { DeviceToken = deviceToken });
    }

    public static ProblemHttpResult PhoneNumberMissing() =>
        Problems.Create(StatusCodes.Status403Forbidden, "phone_number_missing", "No phone number for your sign-in code.",
            "Signing in needs a code by text message, and your account has no phone number. Ask your administrator to add your mobile number.");

    private static ProblemHttpResult CountryNotAllowed(User user) =>
        Problems.Create(StatusCodes.Status403Forbidden, "phone_number_missing", "Your phone number cannot receive sign-in codes.",
            $"Your organisation does not send sign-in codes to numbers in {Phones.RegionOf(user.PhoneNumber!)}. Ask your administrator to add a mobile number from an allowed country.",
            new Dictionary<string, object?> { ["reason"] = "country_not_allowed" });

    /// <summary>A refusal the user can act on (wait, ask again), as Challenges worded it.</summary>
    public static ProblemHttpResult Passthrough(HttpContext http, ChallengeRefusal refusal)
    {
        if (refusal.RetryAfter is { } wait) Problems.SetRetryAfter(http, wait);
        var extensions = refusal.Extra.ToDictionary(e => e.Key, e => (object?)e.Value);
        return Problems.Create(refusal.Status, refusal.Code, refusal.Title, refusal.Detail, extensions);
    }
}

/// <summary>What every sign-in step needs, in one place.</summary>
public sealed class SignInContext(AccountsDbContext db, Tokens tokens, ChallengesClient challenges, TimeProvider time, IHttpContextAccessor accessor,
    Microsoft.Extensions.Options.IOptions<MfaOptions> options)
{
    public AccountsDbContext Db { get; } = db;

    public ChallengesClient Challenges { get; } = challenges;

    public TimeProvider Time { get; } = time;

    public HttpContext Http { get; } = accessor.HttpContext!;

    public MfaOptions Options { get; } = options.Value;

    /// <summary>Adds a login ticket for the second step to the context; returns the value for the client.</summary>
    public (string Ticket, DateTimeOffset ExpiresAt) IssueLoginTicket(User user, string client, string method, string? challengeId = null)
    {
        var now = Time.GetUtcNow();
        var ticket = OpaqueTokens.New();
        var expiresAt = now + Options.LoginTicketLifetime;
        Db.LoginTickets.Add(new LoginTicket
        {
            Id = Guid.CreateVersion7(now),
            TokenHash = OpaqueTokens.Hash(ticket),
            UserId = user.Id,
            OrganisationId = user.OrganisationId,
            Role = user.Role,
            Client = client,
            Method = method,
            ChallengeId = challengeId,
            CreatedAt = now,
            ExpiresAt = expiresAt,
        });
        return (ticket, expiresAt);
    }

    /// <summary>Both factors done: tokens for a new session, the audit entry, one save.</summary>
    public async Task<SignedIn> CompleteAsync(User user, string client, Guid sessionId, CancellationToken cancellationToken)
    {
        user.LastSignInAt = Time.GetUtcNow();
        var signedIn = tokens.Issue(Db, user, sessionId, client);
        Db.Record(Http, Time, user.OrganisationId, AuditEvents.SignInSucceeded, actor: user.Id, subject: user.Id, details: $"client {client}");
        await Db.SaveChangesAsync(cancellationToken);
        return await signedIn.WithPinFlagsAsync(Db, user.OrganisationId, sessionId, client, cancellationToken);
    }
}
