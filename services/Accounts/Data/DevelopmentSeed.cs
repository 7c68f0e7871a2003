using FlexWhere.Accounts.Organisations;
using FlexWhere.Accounts.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.Data;

/// <summary>
/// The Development seed of shared/API.md: organisation "Demo" with an admin, a manager and an
/// employee who can sign in at once. Phone numbers are in Ofcom's range reserved for drama
/// (+44 7700 900000–900999), so no real person gets a code; hence the organisation allows GB besides NL.
/// </summary>
public static class DevelopmentSeed
{
    public const string OrganisationName = "Demo";
    public const string Password = "FlexWhere-Demo-2026!";

    public static readonly (string Email, string DisplayName, UserRole Role, string Phone)[] Users =
    [
        ("admin@demo.flexwhere.test", "Demo Admin", UserRole.Admin, "+447700900078"),
        ("manager@demo.flexwhere.test", "Demo Manager", UserRole.Manager, "+447700900079"),
        ("employee@demo.flexwhere.test", "Demo Employee", UserRole.Employee, "+447700900080"),
    ];

    /// <summary>Adds what is missing; running it again changes nothing.</summary>
    public static async Task SeedAsync(AccountsDbContext db, IPasswordHasher<User> hasher, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var organisation = await db.Organisations.SingleOrDefaultAsync(o => o.Name == OrganisationName, cancellationToken);
        if (organisation is null)
        {
            organisation = Organisation.Create(OrganisationName, "NL", now);
            organisation.AllowedSmsCountries = ["NL", "GB"];
            db.Organisations.Add(organisation);
        }

        foreach (var (email, displayName, role, phone) in Users)
        {
            var normalized = User.Normalize(email);
            if (await db.Users.AnyAsync(u => u.NormalizedEmail == normalized, cancellationToken)) continue;

            var user = new User
            {
                Id = Guid.CreateVersion7(now),
                OrganisationId = organisation.Id,
                Email = email,
                NormalizedEmail = normalized,
                DisplayName = displayName,
                Role = role,
                PhoneNumber = phone,
                PhoneVerified = true,
                CreatedAt = now,
            };
            user.PasswordHash = hasher.HashPassword(user, Password);
            db.Users.Add(user);
        }

        await db.SaveChangesAsync(cancellationToken);
    }
}
