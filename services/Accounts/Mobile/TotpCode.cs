using System.Security.Cryptography;
using System.Text;
using OtpNet;

namespace FlexWhere.Accounts.Mobile;

public enum TotpMatch
{
    Accepted,
    Wrong,

    /// <summary>The code is right for a time step that was already used: refused, as RFC 6238 §5.2 asks.</summary>
    Replayed,
}

/// <summary>RFC 6238 with the parameters every authenticator app supports: HMAC-SHA-1, 6 digits,
/// 30-second steps, one step of clock drift either way.</summary>
public static class TotpCode
{
    public const int StepSeconds = 30;
    public const int Digits = 6;
    public const int SecretBytes = 20;
    public const int AllowedDriftSteps = 1;

    public static long StepAt(DateTimeOffset at) => Math.DivRem(at.ToUnixTimeSeconds(), StepSeconds, out _);

    public static string Code(byte[] secret, long step, int digits = Digits) =>
        new OtpNet.Totp(secret, StepSeconds, OtpHashMode.Sha1, digits)
            .ComputeTotp(DateTimeOffset.FromUnixTimeSeconds(step * StepSeconds).UtcDateTime);

    public static bool IsWellFormed(string? code) => code is { Length: Digits } && code.All(char.IsAsciiDigit);

    /// <summary>Checks <paramref name="code"/> against the steps around <paramref name="now"/>. Every
    /// candidate is compared in constant time and none ends the loop early, so the answer's timing
    /// does not tell which step matched.</summary>
    public static (TotpMatch Match, long Step) Check(byte[] secret, string code, DateTimeOffset now, long? lastAcceptedStep)
    {
        var presented = Encoding.ASCII.GetBytes(code);
        var current = StepAt(now);
        long? accepted = null;
        var replayed = false;
        for (var step = current - AllowedDriftSteps; step <= current + AllowedDriftSteps; step++)
        {
            var matches = CryptographicOperations.FixedTimeEquals(presented, Encoding.ASCII.GetBytes(Code(secret, step)));
            if (!matches) continue;
            if (lastAcceptedStep is { } last && step <= last) replayed = true;
            else accepted ??= step;
        }

        if (accepted is { } acceptedStep) return (TotpMatch.Accepted, acceptedStep);
        return (replayed ? TotpMatch.Replayed : TotpMatch.Wrong, current);
    }

    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(SecretBytes);

    public static string ToBase32(byte[] secret) => Base32Encoding.ToString(secret).TrimEnd('=');
}
