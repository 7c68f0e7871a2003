using System.Security.Cryptography;
using System.Text;

namespace FlexWhere.Accounts.Auth;

public sealed record ThrottleEntry(bool Admitted, DateTimeOffset? LockedUntil);

/// <summary>Every password check takes a slot first, in one statement, so a burst of parallel guesses
/// never has more than the limit judged in a window; a right password gives its slot back, a wrong
/// one keeps it, and the guess that fills the last slot locks the key.</summary>
public static class SignInThrottles
{
    public static byte[] ForEmail(string normalizedEmail) => SHA256.HashData(Encoding.UTF8.GetBytes("email:" + normalizedEmail));

    public static byte[] ForDevice(Guid deviceId) => SHA256.HashData(Encoding.UTF8.GetBytes("device:" + deviceId.ToString("N")));

    public static async Task<ThrottleEntry> EnterAsync(AccountsDbContext db, byte[] key, DateTimeOffset now, PasswordSignInOptions options,
        CancellationToken cancellationToken)
    {
        var windowStart = now.AddMinutes(-options.LockoutMinutes);
        var max = options.MaxFailedAttempts;
        // A new window (the old one is over, or its lock ended) starts at one; otherwise one more,
        // and only while the key is not locked and has a slot left.
        var admitted = await db.Database.SqlQuery<int>($"""
            INSERT INTO sign_in_throttles AS t ("Key", "Failures", "WindowStartedAt", "LockedUntil") VALUES ({key}, 1, {now}, NULL)
            ON CONFLICT ("Key") DO UPDATE SET
                "Failures" = CASE WHEN t."WindowStartedAt" <= {windowStart} OR t."LockedUntil" <= {now} THEN 1 ELSE t."Failures" + 1 END,
                "WindowStartedAt" = CASE WHEN t."WindowStartedAt" <= {windowStart} OR t."LockedUntil" <= {now}
                    THEN {now} ELSE t."WindowStartedAt" END,
                "LockedUntil" = NULL
            WHERE (t."LockedUntil" IS NULL OR t."LockedUntil" <= {now})
              AND (t."Failures" < {max} OR t."WindowStartedAt" <= {windowStart})
            RETURNING "Failures" AS "Value"
            """).ToListAsync(cancellationToken);
        if (admitted.Count == 1) return new ThrottleEntry(true, null);

        var row = await db.SignInThrottles.AsNoTracking().SingleOrDefaultAsync(t => t.Key == key, cancellationToken);
        // No row: a complete sign-in cleared it in between; ask again in a moment.
        if (row is null) return new ThrottleEntry(false, now.AddSeconds(1));
        // No lock yet: the last slots are taken by guesses still being judged.
        return new ThrottleEntry(false, row.LockedUntil > now ? row.LockedUntil : row.WindowStartedAt.AddMinutes(options.LockoutMinutes));
    }

    public static Task ReleaseAsync(AccountsDbContext db, byte[] key, CancellationToken cancellationToken) =>
        db.SignInThrottles.Where(t => t.Key == key && t.Failures > 0)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.Failures, t => t.Failures - 1), cancellationToken);

    /// <summary>A wrong password keeps its slot; the one that filled the last slot locks the key.
    /// Returns the end of the lock this guess set, if it set one.</summary>
    public static async Task<DateTimeOffset?> FailedAsync(AccountsDbContext db, byte[] key, DateTimeOffset now,
        PasswordSignInOptions options, CancellationToken cancellationToken)
    {
        var lockUntil = now.AddMinutes(options.LockoutMinutes);
        var locked = await db.SignInThrottles
            .Where(t => t.Key == key && t.Failures >= options.MaxFailedAttempts && (t.LockedUntil == null || t.LockedUntil <= now))
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.LockedUntil, lockUntil).SetProperty(t => t.Failures, 0)
                .SetProperty(t => t.WindowStartedAt, now),
                cancellationToken) == 1;
        return locked ? lockUntil : null;
    }

    /// <summary>After a complete sign-in (both factors where needed), or an admin's unlock.</summary>
    public static Task ClearAsync(AccountsDbContext db, byte[] key, CancellationToken cancellationToken) =>
        db.SignInThrottles.Where(t => t.Key == key).ExecuteDeleteAsync(cancellationToken);

    /// <summary>Drops counters whose window and lock are over: they no longer count for anything.</summary>
    public static Task<int> PruneAsync(AccountsDbContext db, DateTimeOffset now, PasswordSignInOptions options,
        CancellationToken cancellationToken)
    {
        var windowStart = now.AddMinutes(-options.LockoutMinutes);
        return db.SignInThrottles.Where(t => t.WindowStartedAt <= windowStart && (t.LockedUntil == null || t.LockedUntil <= now))
            .ExecuteDeleteAsync(cancellationToken);
    }

    public static async Task<DateTimeOffset?> LockedUntilAsync(AccountsDbContext db, string normalizedEmail, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var key = ForEmail(normalizedEmail);
        var until = await db.SignInThrottles.Where(t => t.Key == key).Select(t => t.LockedUntil).SingleOrDefaultAsync(cancellationToken);
        return until > now ? until : null;
    }
}
