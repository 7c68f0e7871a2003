using System.Security.Cryptography;

namespace FlexWhere.Accounts.Mobile;

public sealed record IssuedEnrollmentCode(string Code, DateTimeOffset ExpiresAt);

public static class EnrollmentCodes
{
    private const int Digits = 10;

    public static IEndpointRouteBuilder MapEnrollmentCodeApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/users/{userId:guid}/totp-enrollment-code", Issue).WithTags("Users").RequireAuthorization(Policies.Admin)
            .RequireStepUp()
            .WithName("IssueTotpEnrollmentCode")
            .WithSummary("A one-time code (shown once) with which a user without a phone number links an authenticator app; earlier " +
                "unused codes stop working.");
        return app;
    }

    public static async Task<Results<Ok<IssuedEnrollmentCode>, ApiProblem>> Issue(
        Guid userId, ClaimsPrincipal principal, AccountsDbContext db, IOptions<MfaOptions> options, TimeProvider time, AuditLog audit,
            CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == userId && u.OrganisationId == caller.OrganisationId && u.Active,
            cancellationToken);
        if (user is null) return AccountsRefusals.NotFound();
        if (user.Id == caller.UserId)
        {
            return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.OwnAccount, "Not for your own account.",
                "Ask another administrator of your organisation.");
        }

        var now = time.GetUtcNow();
        await db.EnrollmentCodes.Where(c => c.UserId == user.Id && c.UsedAt == null).ExecuteDeleteAsync(cancellationToken);
        var code = string.Concat(Enumerable.Range(0, Digits).Select(_ => (char)('0' + RandomNumberGenerator.GetInt32(10))));
        var expiresAt = now + options.Value.EnrollmentCodeLifetime;
        db.EnrollmentCodes.Add(new EnrollmentCode
        {
            CodeHash = Hash(code),
            IssuedBy = caller.UserId,
            ExpiresAt = expiresAt,
        }.BelongingTo(user, now));
        audit.ByCaller(AuditEvents.EnrollmentCodeIssued, user.Id, $"valid until {expiresAt:O}");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new IssuedEnrollmentCode($"{code[..5]}-{code[5..]}", expiresAt));
    }

    /// <summary>Uses the code if it is the user's, unused and not expired. Atomic: it works once.</summary>
    public static async Task<bool> TryUseAsync(AccountsDbContext db, Guid userId, string typed, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (typed.Length != Digits || !typed.All(char.IsAsciiDigit)) return false;
        var hash = Hash(typed);
        return await db.EnrollmentCodes.Where(c => c.UserId == userId && c.CodeHash == hash && c.UsedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.UsedAt, now), cancellationToken) == 1;
    }

    private static byte[] Hash(string code) => SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(code));
}
