using System.Security.Cryptography;

namespace FlexWhere.Accounts.Mfa;

public static class RecoveryCodes
{
    public const int Count = 10;

    // Crockford's base32: no I, L, O or U to misread. 24 characters are 120 bits: at 112 bits or more
    // ASVS 5.0 (6.5.2) accepts a plain SHA-256 at rest, since no offline search can cover the space.
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    public const int Length = 24;

    // Codes issued before the change have 16 characters (80 bits); they keep working until they are
    // used, or replaced by a new set or an MFA reset. Their rows look the same (a SHA-256 of the
    // normalised code), so nothing tells them apart but the length of what the user types.
    public const int LegacyLength = 16;

    public static double EntropyBits => Length * Math.Log2(Alphabet.Length);

    /// <summary>A new code, shown as six groups of four: XXXX-XXXX-XXXX-XXXX-XXXX-XXXX.</summary>
    public static string NewCode()
    {
        Span<char> chars = stackalloc char[Length];
        for (var i = 0; i < Length; i++) chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        return string.Join('-', new string(chars).Chunk(4).Select(group => new string(group)));
    }

    /// <summary>What the user typed, as it was generated: case, spaces and dashes do not matter, and
    /// the letters people confuse with digits count as those digits.</summary>
    public static string? Normalize(string? typed)
    {
        if (typed is null || typed.Length > 64) return null;
        var chars = typed.Where(c => c is not ('-' or ' ')).Select(c => char.ToUpperInvariant(c) switch
        {
            'O' => '0',
            'I' or 'L' => '1',
            var other => other,
        }).ToArray();
        return chars.Length is Length or LegacyLength && chars.All(Alphabet.Contains) ? new string(chars) : null;
    }

    public static byte[] Hash(string normalized) => SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(normalized));

    /// <summary>Replaces the user's codes with a new set; returns the codes to show once.</summary>
    public static async Task<IReadOnlyList<string>> ReplaceAsync(AccountsDbContext db, Guid userId, Guid organisationId,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await db.RecoveryCodes.Where(c => c.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        var codes = Enumerable.Range(0, Count).Select(_ => NewCode()).ToList();
        db.RecoveryCodes.AddRange(codes.Select(code => new RecoveryCode
        {
            CodeHash = Hash(Normalize(code)!),
        }.BelongingTo(userId, organisationId, now)));
        return codes;
    }

    /// <summary>Marks the code used if it is one of the user's unused codes. Atomic: a code works once
    /// even when sent twice at the same moment.</summary>
    public static async Task<bool> TryUseAsync(AccountsDbContext db, Guid userId, string? typed, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var normalized = Normalize(typed);
        if (normalized is null) return false;
        var hash = Hash(normalized);
        return await db.RecoveryCodes.Where(c => c.UserId == userId && c.CodeHash == hash && c.UsedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.UsedAt, now), cancellationToken) == 1;
    }
}
