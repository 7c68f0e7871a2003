using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace FlexWhere.Challenges.Codes;

/// <summary>Codes, challenge ids and the keyed hashes that are all Redis ever sees of a code.</summary>
public sealed class CodeHasher(IOptions<ChallengeOptions> options)
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.CodeHashKey);

    /// <summary>Six digits, uniformly from the CSPRNG (GetInt32 rejects rather than takes a modulo).</summary>
    public static string NewCode() => RandomNumberGenerator.GetInt32(0, 1_000_000)
        .ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>128 random bits, URL-safe base64 (22 characters).</summary>
    public static string NewChallengeId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    public static bool IsChallengeId(string? value) =>
        value is { Length: 22 } && Base64Url.IsValid(value, out var length) && length == 16;

    /// <summary>Binds the code to its challenge and purpose: a code for one can never verify another.</summary>
    public byte[] Hash(string challengeId, string purpose, string code) =>
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{challengeId}\n{purpose}\n{code}"));

    /// <summary>A keyed, non-reversible name for a phone number or IP, for Redis key names.</summary>
    public string Pseudonymise(string value) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"key-name\n{value}")).AsSpan(0, 16));
}
