using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace FlexWhere.Accounts.Users;

/// <summary>
/// What a new password must be, after NIST SP 800-63B (§3.1.1.2): long enough, not on a list of common
/// and breached passwords, not made of the account's own name or the product's, not one character or
/// two repeated. No composition rules (no "a digit and a capital"), every character allowed (spaces
/// and emoji too), and no expiry: a password is changed when it may be known to others, not by the
/// calendar. Checked wherever a password is set (an admin creating a user, a password change).
/// </summary>
public static class PasswordPolicy
{
    /// <summary>In characters (Unicode code points after NFKC), as NIST counts them.</summary>
    public const int MinLength = 12;

    public const int MaxLength = 128;

    /// <summary>The longest password accepted where one is presented (sign-in, step-up, the current password of a
    /// change), in UTF-16 units: room for any password <see cref="MaxLength"/> allowed, and a bound on what is hashed.</summary>
    public const int MaxPresentedLength = 1024;

    /// <summary>Words the people who guess passwords try first for this product.</summary>
    private static readonly string[] ContextWords = ["flexwhere", "flex where"];

    private const int MinDistinctCharacters = 5;

    /// <summary>Null when <paramref name="password"/> may be set for the account of <paramref name="email"/>;
    /// otherwise the refusal, whose code says which rule it broke.</summary>
    public static ApiProblem? Check(string password, string email)
    {
        var normalized = Normalize(password);
        var length = normalized.EnumerateRunes().Count();
        if (length < MinLength)
        {
            return Refusal(ProblemCodes.PasswordTooShort, "Choose a longer password.",
                $"A password has at least {MinLength} characters. A few unrelated words make a long password that is easy to remember.");
        }

        if (length > MaxLength)
        {
            return Refusal(ProblemCodes.PasswordTooLong, "Choose a shorter password.", $"A password has at most {MaxLength} characters.");
        }

        if (CommonPasswords.Contains(normalized))
        {
            return Refusal(ProblemCodes.PasswordTooCommon, "Choose a less common password.",
                "This password is on a list of common and leaked passwords that attackers try first. Choose another one.");
        }

        var localPart = Normalize(email.Split('@')[0]);
        if ((localPart.Length >= 3 && normalized.Contains(localPart, StringComparison.Ordinal))
            || ContextWords.Any(word => normalized.Contains(word, StringComparison.Ordinal))
            || normalized.EnumerateRunes().Distinct().Count() < MinDistinctCharacters)
        {
            return Refusal(ProblemCodes.PasswordTooPredictable, "Choose a password that is harder to guess.",
                "A password may not contain your e-mail name or the word FlexWhere, or repeat a few characters.");
        }

        return null;
    }

    /// <summary>NFKC and lower case: the form the list is stored in, so "PASSWORD123!" counts as "password123!".</summary>
    internal static string Normalize(string value) => value.Normalize(NormalizationForm.FormKC).ToLowerInvariant();

    private static ApiProblem Refusal(string code, string title, string detail) =>
        new(StatusCodes.Status400BadRequest, code, title, detail);
}

/// <summary>
/// The list of common and breached passwords (197,549 of 8 characters or more, from SecLists), shipped in
/// the assembly as the first 5 bytes of each normalized password's SHA-256, sorted
/// (<c>scripts/common-passwords.py</c> builds it). About 1 MB; loaded once, on first use.
/// </summary>
public static class CommonPasswords
{
    private const int HashBytes = 5;

    private static readonly Lazy<ulong[]> Hashes = new(Load);

    public static int Count => Hashes.Value.Length;

    /// <summary>For an already normalized password (<see cref="PasswordPolicy"/>).</summary>
    public static bool Contains(string normalized) =>
        Array.BinarySearch(Hashes.Value, Truncated(SHA256.HashData(Encoding.UTF8.GetBytes(normalized)))) >= 0;

    private static ulong Truncated(ReadOnlySpan<byte> digest)
    {
        Span<byte> padded = stackalloc byte[sizeof(ulong)];
        digest[..HashBytes].CopyTo(padded[(sizeof(ulong) - HashBytes)..]);
        return BinaryPrimitives.ReadUInt64BigEndian(padded);
    }

    private static ulong[] Load()
    {
        using var stream = typeof(CommonPasswords).Assembly.GetManifestResourceStream("FlexWhere.Accounts.common-passwords.bin")
            ?? throw new InvalidOperationException("The common-password list is missing from the assembly.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        var hashes = new ulong[bytes.Length / HashBytes];
        for (var i = 0; i < hashes.Length; i++) hashes[i] = Truncated(bytes.AsSpan(i * HashBytes, HashBytes));
        return hashes; // sorted by the script; 5 big-endian bytes sort as the numbers they make
    }
}
