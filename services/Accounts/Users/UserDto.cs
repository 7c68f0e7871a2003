using System.Net.Mail;

namespace FlexWhere.Accounts.Users;

/// <param name="InvitationPending">No password chosen yet: an admin may send the invitation again
/// (<c>POST /api/users/{id}/invitation</c>).</param>
public sealed record UserDto(
    Guid Id, string Email, string DisplayName, string Role, bool Active, string? Phone, bool PhoneMasked, bool PhoneVerified,
    bool FromLinkedDatabase, DateTimeOffset? LockedUntil, DateTimeOffset? LastSignInAt, DateTimeOffset? SecondFactorLockedUntil,
    bool InvitationPending)
{
    /// <summary>The full number only for the user themself: it is there for their second factor, and
    /// admins manage it without reading it back.</summary>
    /// <param name="lockedUntil">The end of a lock after wrong passwords (<see cref="Auth.SignInThrottles"/>), if any.</param>
    public static UserDto From(User user, Caller caller, DateTimeOffset? lockedUntil = null, DateTimeOffset? now = null)
    {
        var full = caller.UserId == user.Id;
        var phone = user.PhoneNumber is null ? null : full ? user.PhoneNumber : Phones.Mask(user.PhoneNumber);
        return new(user.Id, user.Email, user.DisplayName, user.Role.ToString(), user.Active, phone, user.PhoneNumber is not null && !full,
            user.PhoneVerified, user.FromLinkedDatabase, lockedUntil, user.LastSignInAt,
            user.SecondFactorLockedUntil > (now ?? DateTimeOffset.UtcNow) ? user.SecondFactorLockedUntil : null,
            user.PasswordHash is null);
    }
}

public sealed record UserPage(IReadOnlyList<UserDto> Items, int Page, int PageSize, int Total);

public static class EmailAddresses
{
    public const int MaxLength = 254;

    /// <summary>A plain address (no display name, no comments) with a dotted domain.</summary>
    public static bool IsValid(string? email) =>
        email is { Length: > 2 and <= MaxLength }
        && MailAddress.TryCreate(email, out var address)
        && address.Address == email
        && address.Host.Contains('.')
        && !email.Any(char.IsWhiteSpace);

    /// <summary>For logs and messages to others: the first letter of the name and the domain, <c>j•••@acme.example</c>.</summary>
    public static string Mask(string email)
    {
        var at = email.LastIndexOf('@');
        return at <= 0 ? "•••" : $"{email[0]}•••{email[at..]}";
    }
}

public static class Roles
{
    public static bool TryParse(string? value, out UserRole role) =>
        Enum.TryParse(value, ignoreCase: true, out role) && Enum.IsDefined(role) && !int.TryParse(value, out _);
}
