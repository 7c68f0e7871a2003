namespace FlexWhere.Accounts.Auth;

/// <summary>Who is calling, from the validated access token.</summary>
public sealed record Caller(Guid UserId, Guid OrganisationId, UserRole Role)
{
    public bool IsAdmin => Role == UserRole.Admin;

    public static Caller From(ClaimsPrincipal principal) => new(
        Guid.Parse(principal.FindFirstValue(TokenClaims.Subject)!),
        Guid.Parse(principal.FindFirstValue(TokenClaims.Organisation)!),
        Enum.Parse<UserRole>(principal.FindFirstValue(TokenClaims.Role)!));
}

public static class TokenClaims
{
    public const string Subject = "sub";
    public const string Organisation = "org";
    public const string Role = "role";
    public const string Email = "email";
    public const string Session = "sid";
    public const string Client = "client";
    public const string Acr = "acr";
    public const string Amr = "amr";
    public const string AuthTime = "auth_time";
}

public static class Policies
{
    public const string Admin = "admin";
    public const string AdminOrManager = "admin-or-manager";
    public const string SecondFactor = "second-factor";
}
