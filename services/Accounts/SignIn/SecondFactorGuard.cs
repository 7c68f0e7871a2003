namespace FlexWhere.Accounts.Mfa;

/// <summary>The per-user limit on wrong second-factor codes (SMS, authenticator app, recovery code)
/// over every sign-in and step-up: each code has its own few tries, and this stops new sign-ins from
/// bringing new ones. A guess takes a slot before it is judged (one UPDATE), so parallel guesses can
/// never have more than the limit judged; a right code frees the user's count, a wrong one keeps
/// its slot, and the limit-th wrong one locks the factor.</summary>
public sealed class SecondFactorGuard(IOptions<MfaOptions> options, TimeProvider time, ILogger<SecondFactorGuard> logger)
{
    /// <summary>Null when the guess may be judged; else the refusal (locked, or the limit is taken by guesses in flight).</summary>
    public async Task<ApiProblem?> EnterAsync(AccountsDbContext db, User user, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var max = options.Value.MaxConsecutiveSecondFactorFailures;
        var reserved = await db.Database.SqlQuery<int>($"""
            UPDATE users SET "SecondFactorFailures" = "SecondFactorFailures" + 1, "SecondFactorLockedUntil" = NULL
            WHERE "Id" = {user.Id} AND ("SecondFactorLockedUntil" IS NULL OR "SecondFactorLockedUntil" <= {now})
                AND "SecondFactorFailures" < {max}
            RETURNING "SecondFactorFailures" AS "Value"
            """).ToListAsync(cancellationToken);
        if (reserved.Count == 1) return null;

        var lockedUntil = await db.Users.Where(u => u.Id == user.Id).Select(u => u.SecondFactorLockedUntil)
            .SingleOrDefaultAsync(cancellationToken);
        return Locked(lockedUntil > now ? lockedUntil.Value : now + TimeSpan.FromSeconds(5), now);
    }

    /// <summary>The code was right: the consecutive count starts again.</summary>
    public Task SucceededAsync(AccountsDbContext db, User user, CancellationToken cancellationToken) =>
        db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(set => set.SetProperty(u => u.SecondFactorFailures, 0), cancellationToken);

    /// <summary>Nothing was judged (the ticket had expired, the service was down): the slot is given back.</summary>
    public Task ReleaseAsync(AccountsDbContext db, User user, CancellationToken cancellationToken) =>
        db.Users.Where(u => u.Id == user.Id && u.SecondFactorFailures > 0)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.SecondFactorFailures, u => u.SecondFactorFailures - 1), cancellationToken);

    /// <summary>The code was wrong: its slot stays counted. Null unless this guess reached the limit,
    /// which locks the factor (audited) and is answered with the lock.</summary>
    public async Task<ApiProblem?> FailedAsync(AccountsDbContext db, AuditLog audit, User user, string method,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var limits = options.Value;
        var lockUntil = now.AddMinutes(limits.SecondFactorLockMinutes);
        var locked = await db.Users
            .Where(u => u.Id == user.Id && u.SecondFactorFailures >= limits.MaxConsecutiveSecondFactorFailures
                && (u.SecondFactorLockedUntil == null || u.SecondFactorLockedUntil <= now))
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.SecondFactorLockedUntil, lockUntil)
                .SetProperty(u => u.SecondFactorFailures, 0), cancellationToken) == 1;
        if (!locked) return null;

        logger.LogWarning("Second factor locked for user {UserId} until {LockedUntil}", user.Id, lockUntil);
        audit.About(user, AuditEvents.SecondFactorLocked,
            $"{limits.MaxConsecutiveSecondFactorFailures} consecutive wrong codes (last: {method}); "
            + $"locked for {limits.SecondFactorLockMinutes} min");
        await db.SaveChangesAsync(cancellationToken);
        return Locked(lockUntil, now);
    }

    private static ApiProblem Locked(DateTimeOffset until, DateTimeOffset now)
    {
        return new ApiProblem(StatusCodes.Status429TooManyRequests, ProblemCodes.SecondFactorLocked, "Too many wrong codes.",
            "Too many wrong codes were entered for your account, so codes are refused for a while. "
            + "Wait until the lock ends, or ask your administrator to unlock your account.")
            .With("lockedUntil", until).WithRetryAfter(until - now);
    }
}
