using Microsoft.AspNetCore.Identity;

namespace FlexWhere.Accounts.Data;

/// <summary>
/// The Development seed of docs/api.md: organisation "Demo" with an admin, a manager and an
/// employee who can sign in at once. The phone numbers are in the Swedish regulator's (PTS) mobile
/// range reserved for fiction, 070-174 06 05 to 070-174 06 99, so no real person gets a code. (Ofcom's
/// UK drama range is refused by libphonenumber as invalid, and no Dutch range is reserved.) Hence the
/// organisation allows SE besides its own NL. The three users' language is English; the organisation's (for new users) Dutch.
/// </summary>
public static class DevelopmentSeed
{
    public const string OrganisationName = "Demo";
    public const string Password = "FlexWhere-Demo-2026!";

    public static readonly (string Email, string DisplayName, UserRole Role, string Phone)[] Users =
    [
        ("admin@demo.flexwhere.test", "Demo Admin", UserRole.Admin, "+46701740678"),
        ("manager@demo.flexwhere.test", "Demo Manager", UserRole.Manager, "+46701740679"),
        ("employee@demo.flexwhere.test", "Demo Employee", UserRole.Employee, "+46701740680"),
    ];

    /// <summary>Adds what is missing; running it again changes nothing.</summary>
    public static async Task SeedAsync(AccountsDbContext db, IPasswordHasher<User> hasher, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var organisation = await db.Organisations.SingleOrDefaultAsync(o => o.Name == OrganisationName, cancellationToken);
        if (organisation is null)
        {
            organisation = Organisation.Create(OrganisationName, "NL", now);
            organisation.AllowedSmsCountries = ["NL", "SE"];
            db.Organisations.Add(organisation);
        }

        foreach (var (email, displayName, role, phone) in Users)
        {
            var normalized = User.Normalize(email);
            if (await db.Users.AnyAsync(u => u.NormalizedEmail == normalized, cancellationToken)) continue;

            var user = User.Create(organisation.Id, email, displayName, role, phone, now);
            user.PhoneVerified = true;
            // The demo accounts chose English (the screenshots and the browser tests read English); users an admin adds to
            // this Dutch organisation get Dutch until they choose otherwise.
            user.Locale = "en";
            user.PasswordHash = hasher.HashPassword(user, Password);
            db.Users.Add(user);
        }

        await db.SaveChangesAsync(cancellationToken);
    }
}
