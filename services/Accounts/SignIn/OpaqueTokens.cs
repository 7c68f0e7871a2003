using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace FlexWhere.Accounts.Mfa;

/// <summary>Random bearer values handed to clients (tickets, device tokens): 256 bits, URL-safe,
/// stored only as SHA-256 — with that much entropy a plain hash cannot be reversed.</summary>
public static class OpaqueTokens
{
    public const int MaxLength = 200;

    public static string New() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));

    public static bool LooksValid(string? token) => token is { Length: > 0 and <= MaxLength };
}
