namespace FlexWhere.Accounts.Users;

public enum UserRole
{
    Admin,
    Manager,
    Employee,
}

public sealed class User
{
    public Guid Id { get; set; }

    public Guid OrganisationId { get; set; }

    public Organisation Organisation { get; set; } = null!;

    /// <summary>The address as the user or the directory wrote it; the login.</summary>
    public required string Email { get; set; }

    /// <summary>Unique over all organisations: the e-mail address alone identifies the account at sign-in.</summary>
    public required string NormalizedEmail { get; set; }

    public required string DisplayName { get; set; }

    public UserRole Role { get; set; }

    public bool Active { get; set; } = true;

    /// <summary>E.164, e.g. +31612345678.</summary>
    public string? PhoneNumber { get; set; }

    /// <summary>False until the first successful SMS code to this number.</summary>
    public bool PhoneVerified { get; set; }

    public string? PasswordHash { get; set; }

    /// <summary>Wrong second-factor codes in a row, over every sign-in (SecondFactorGuard in Accounts).</summary>
    public int SecondFactorFailures { get; set; }

    public DateTimeOffset? SecondFactorLockedUntil { get; set; }

    /// <summary>Set once the user is an admin and never cleared: a demoted admin's number still needs
    /// a second admin, so demoting, changing and promoting again is no way around four-eyes.</summary>
    public bool WasAdmin { get; set; }

    /// <summary>Since when the user is an admin without a break; a new admin cannot approve yet.</summary>
    public DateTimeOffset? AdminSince { get; set; }

    /// <summary>Set for users that came from the organisation's linked database.</summary>
    public bool FromLinkedDatabase { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastSignInAt { get; set; }

    /// <summary><c>nl</c> or <c>en</c>, as the user chose; null: the organisation's default (<see cref="LocaleFor"/>).</summary>
    public string? Locale { get; set; }

    public bool NeedsSmsSecondFactor => Role is UserRole.Admin or UserRole.Manager;

    /// <summary>Keeps the admin bookkeeping of four-eyes with every role change.</summary>
    public void SetRole(UserRole role, DateTimeOffset now)
    {
        if (role == UserRole.Admin && (Role != UserRole.Admin || AdminSince is null)) AdminSince = now;
        if (role != UserRole.Admin) AdminSince = null;
        WasAdmin |= role == UserRole.Admin;
        Role = role;
    }

    public static string Normalize(string email) => email.Trim().ToUpperInvariant();

    /// <summary>The languages of FlexWhere's texts.</summary>
    public static IReadOnlyList<string> Locales { get; } = ["nl", "en"];

    /// <summary>The user's language: their own choice, else Dutch in a Dutch organisation and English elsewhere.</summary>
    public static string LocaleFor(User user, Organisation organisation) => user.Locale ?? (organisation.Country == "NL" ? "nl" : "en");

    /// <summary>A new account of the organisation: the address as written and its normalized form (the
    /// login), the name, the number (E.164, checked by the caller) and the role with its four-eyes
    /// bookkeeping. No password yet.</summary>
    public static User Create(Guid organisationId, string email, string displayName, UserRole role, string? phoneNumber,
        DateTimeOffset now)
    {
        var user = new User
        {
            Id = Guid.CreateVersion7(now),
            OrganisationId = organisationId,
            Email = email.Trim(),
            NormalizedEmail = Normalize(email),
            DisplayName = displayName.Trim(),
            PhoneNumber = phoneNumber,
            CreatedAt = now,
        };
        user.SetRole(role, now);
        return user;
    }
}
