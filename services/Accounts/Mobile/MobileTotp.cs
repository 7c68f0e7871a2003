using System.Linq.Expressions;
using QRCoder;

namespace FlexWhere.Accounts.Mobile;

public sealed record TotpEnrollmentResponse(string Secret, string OtpauthUri, string QrCodeSvg);

public enum TotpVerdict
{
    Accepted,
    Wrong,
    Replayed,
    Locked,
    NotEnrolled,
}

/// <param name="Confirmed">True when this code confirmed a pending enrollment.</param>
public sealed record TotpOutcome(TotpVerdict Verdict, bool Confirmed = false, DateTimeOffset? LockedUntil = null);

/// <summary>TOTP enrollment and verification for one user, on the caller's DbContext. Every state
/// change that a race could double (an accepted step, a failure count) is one conditional UPDATE.</summary>
public sealed class MobileTotp(TotpSecrets secrets, IOptions<MobileOptions> options, TimeProvider time, ILogger<MobileTotp> logger)
{
    /// <summary>An authenticator the user confirmed with a code: the one rule, in a query of its own or inside another.</summary>
    public static readonly Expression<Func<TotpFactor, bool>> Confirmed = f => f.ConfirmedAt != null;

    public static Task<bool> IsEnrolledAsync(AccountsDbContext db, Guid userId, CancellationToken cancellationToken) =>
        db.TotpFactors.Where(Confirmed).AnyAsync(f => f.UserId == userId, cancellationToken);

    /// <summary>A new secret for a user who has not confirmed one yet; replaces a pending one.
    /// Null when the user is already enrolled (a new authenticator needs an MFA reset by an admin).</summary>
    public async Task<TotpEnrollmentResponse?> StartEnrollmentAsync(AccountsDbContext db, User user, AuditLog audit,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var factor = await db.TotpFactors.SingleOrDefaultAsync(f => f.UserId == user.Id, cancellationToken);
        if (factor is { ConfirmedAt: not null }) return null;

        var secret = TotpCode.NewSecret();
        var protectedSecret = secrets.Protect(user.Id, secret);
        if (factor is null)
        {
            db.TotpFactors.Add(new TotpFactor { UserId = user.Id, OrganisationId = user.OrganisationId, ProtectedSecret = protectedSecret,
                CreatedAt = now });
        }
        else
        {
            factor.ProtectedSecret = protectedSecret;
            factor.CreatedAt = now;
            factor.LastAcceptedStep = null;
        }

        audit.BySelf(user, MobileAuditEvents.TotpEnrollmentStarted,
            factor is null ? "new authenticator" : "pending authenticator replaced");
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("TOTP enrollment started for user {UserId}", user.Id);

        var base32 = TotpCode.ToBase32(secret);
        var uri = OtpauthUri(options.Value.TotpIssuer, user.Email, base32);
        return new TotpEnrollmentResponse(base32, uri, QrCodeSvg(uri));
    }

    /// <summary>Checks a code for the user's authenticator (pending or confirmed) and records the
    /// outcome: an accepted step is never accepted again, wrong codes count towards the user's lock.</summary>
    public async Task<TotpOutcome> VerifyAsync(AccountsDbContext db, User user, string code, AuditLog audit,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var factor = await db.TotpFactors.AsNoTracking().SingleOrDefaultAsync(f => f.UserId == user.Id, cancellationToken);
        if (factor is null) return new TotpOutcome(TotpVerdict.NotEnrolled);
        if (factor.LockedUntil > now) return new TotpOutcome(TotpVerdict.Locked, LockedUntil: factor.LockedUntil);

        var secret = secrets.Unprotect(user.Id, factor.ProtectedSecret);
        var (match, step) = TotpCode.Check(secret, code, now, factor.LastAcceptedStep);
        if (match == TotpMatch.Accepted)
        {
            // Conditional on the step being newer: of two requests with the same code only one gets in.
            var won = await db.TotpFactors
                .Where(f => f.UserId == user.Id && (f.LastAcceptedStep == null || f.LastAcceptedStep < step))
                .ExecuteUpdateAsync(set => set
                    .SetProperty(f => f.LastAcceptedStep, step)
                    .SetProperty(f => f.RecentFailures, 0)
                    .SetProperty(f => f.FailureWindowStartedAt, (DateTimeOffset?)null)
                    .SetProperty(f => f.ConfirmedAt, f => f.ConfirmedAt ?? now), cancellationToken) == 1;
            if (won)
            {
                var confirmed = factor.ConfirmedAt is null;
                if (confirmed)
                {
                    audit.BySelf(user, MobileAuditEvents.TotpEnrollmentConfirmed);
                    await db.SaveChangesAsync(cancellationToken);
                }

                return new TotpOutcome(TotpVerdict.Accepted, confirmed);
            }

            match = TotpMatch.Replayed;
        }

        return await RecordFailureAsync(db, user, match, now, audit, cancellationToken);
    }

    private async Task<TotpOutcome> RecordFailureAsync(AccountsDbContext db, User user, TotpMatch match, DateTimeOffset now,
        AuditLog audit, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var windowStart = now.AddMinutes(-limits.TotpFailureWindowMinutes);
        var lockUntil = now.AddMinutes(limits.TotpLockMinutes);
        var max = limits.TotpFailuresBeforeLock;

        // One UPDATE: a failure outside the window starts a new one; the max-th failure inside it locks.
        await db.TotpFactors.Where(f => f.UserId == user.Id).ExecuteUpdateAsync(set => set
            .SetProperty(f => f.LockedUntil, f =>
                (f.FailureWindowStartedAt == null || f.FailureWindowStartedAt <= windowStart ? 1 : f.RecentFailures + 1) >= max ? lockUntil
                    : f.LockedUntil)
            .SetProperty(f => f.RecentFailures, f =>
                (f.FailureWindowStartedAt == null || f.FailureWindowStartedAt <= windowStart ? 1 : f.RecentFailures + 1) >= max ? 0
                    : (f.FailureWindowStartedAt == null || f.FailureWindowStartedAt <= windowStart ? 1 : f.RecentFailures + 1))
            .SetProperty(f => f.FailureWindowStartedAt, f =>
                f.FailureWindowStartedAt == null || f.FailureWindowStartedAt <= windowStart ? now : f.FailureWindowStartedAt),
                    cancellationToken);
        var lockedUntil = await db.TotpFactors.Where(f => f.UserId == user.Id).Select(f => f.LockedUntil).SingleAsync(cancellationToken);

        var why = match == TotpMatch.Replayed ? "code of an already used time step" : "wrong code";
        audit.About(user, MobileAuditEvents.TotpFailed, why);
        if (lockedUntil > now)
        {
            logger.LogWarning("TOTP locked for user {UserId} until {LockedUntil}", user.Id, lockedUntil);
            audit.About(user, MobileAuditEvents.TotpLocked,
                $"{max} wrong codes within {limits.TotpFailureWindowMinutes} min; locked for {limits.TotpLockMinutes} min");
            await db.SaveChangesAsync(cancellationToken);
            return new TotpOutcome(TotpVerdict.Locked, LockedUntil: lockedUntil);
        }

        await db.SaveChangesAsync(cancellationToken);
        return new TotpOutcome(match == TotpMatch.Replayed ? TotpVerdict.Replayed : TotpVerdict.Wrong);
    }

    /// <summary>The Key Uri Format of Google Authenticator, which other apps follow.</summary>
    public static string OtpauthUri(string issuer, string email, string base32Secret)
    {
        var account = Uri.EscapeDataString(email).Replace("%40", "@", StringComparison.Ordinal);
        var issuerText = Uri.EscapeDataString(issuer);
        return $"otpauth://totp/{issuerText}:{account}?secret={base32Secret}&issuer={issuerText}" +
            $"&algorithm=SHA1&digits={TotpCode.Digits}&period={TotpCode.StepSeconds}";
    }

    public static string QrCodeSvg(string uri)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        return new SvgQRCode(data).GetGraphic(4);
    }
}
