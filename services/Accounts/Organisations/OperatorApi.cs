using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace FlexWhere.Accounts.Organisations;

/// <summary>FlexWhere's own operators: each has a key of their own, named so the audit log says who acted.</summary>
public sealed partial class OperatorOptions
{
    public const string Section = "Operators";

    public const string HeaderName = "X-Operator-Key";

    /// <summary>Operator name → key (at least 32 characters, from the secret store). None: the operator routes refuse everyone.</summary>
    public Dictionary<string, string> Keys { get; set; } = [];

    public static bool AreValid(OperatorOptions options) =>
        options.Keys.All(pair => OperatorName().IsMatch(pair.Key) && pair.Value is { Length: >= 32 and <= 512 });

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,39}$")]
    private static partial Regex OperatorName();
}

/// <param name="AllowedSmsCountries">Countries whose numbers may get codes; absent means the organisation's own country.</param>
public sealed record CreateOrganisationRequest(
    string? Name, string? Country, string? AdminEmail, string? AdminName, string? AdminPhone, IReadOnlyList<string>? AllowedSmsCountries);

public sealed record CreatedOrganisation(Guid OrganisationId, string Name, string Country, Guid AdminUserId, string AdminEmail,
    string Locale);

/// <summary>
/// Operator provisioning: a FlexWhere operator creates an organisation with its first admin, who gets an invitation
/// (the admin's phone is checked with an SMS code when they accept it). Behind an operator key, never a customer's
/// session, and not routed by the Gateway: operators reach Accounts inside the cluster.
/// </summary>
public static class OperatorApi
{
    public static IEndpointRouteBuilder MapOperatorApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/operator/organisations", CreateOrganisation).WithTags("Operator").AddEndpointFilter<OperatorKeyFilter>()
            .WithName("CreateOrganisation")
            .WithSummary("Operators only (X-Operator-Key): a new organisation and its first admin, who is sent an invitation.");
        return app;
    }

    public static async Task<Results<Created<CreatedOrganisation>, ApiProblem>> CreateOrganisation(
        CreateOrganisationRequest? request, HttpContext http, AccountsDbContext db, TimeProvider time, AuditLog audit, AccountLinks links,
            ILogger<OperatorKeyFilter> logger, CancellationToken cancellationToken)
    {
        var errors = Validate(request, out var country, out var phone, out var allowed);
        if (errors.Count > 0) return ApiProblem.Validation(errors);

        var email = request!.AdminEmail!.Trim();
        var normalized = User.Normalize(email);
        if (await db.Users.AnyAsync(u => u.NormalizedEmail == normalized, cancellationToken)) return UsersApi.EmailTaken();

        var now = time.GetUtcNow();
        var organisation = Organisation.Create(request.Name!.Trim(), country!, now);
        organisation.AllowedSmsCountries = allowed!;
        var admin = User.Create(organisation.Id, email, request.AdminName!.Trim(), UserRole.Admin, phone, now);
        admin.Organisation = organisation;
        db.Organisations.Add(organisation);
        db.Users.Add(admin);

        var operatorName = (string)http.Items[OperatorKeyFilter.OperatorItem]!;
        audit.Record(organisation.Id, AuditEvents.OrganisationCreated,
            details: $"by operator {operatorName}; country {country}; SMS to {string.Join(", ", allowed!)}");
        audit.Record(organisation.Id, AuditEvents.UserCreated, subject: admin.Id, details: $"role Admin, by operator {operatorName}");
        await links.SendAsync(admin, organisation, AccountLinkPurposes.Invitation, sentBy: null, cancellationToken);
        audit.Record(organisation.Id, AuditEvents.InvitationSent, subject: admin.Id, details: $"by operator {operatorName}");
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            // The same request twice at once: the other one made it.
            return UsersApi.EmailTaken();
        }

        logger.LogInformation("Operator {Operator} created organisation {OrganisationId} ({Country}) with admin {AdminUserId}",
            operatorName, organisation.Id, country, admin.Id);
        return TypedResults.Created($"/api/organisation/settings",
            new CreatedOrganisation(organisation.Id, organisation.Name, country!, admin.Id, admin.Email, User.LocaleFor(admin, organisation)));
    }

    private static Dictionary<string, string[]> Validate(CreateOrganisationRequest? request, out string? country, out string? phone,
        out List<string>? allowed)
    {
        (country, phone, allowed) = (null, null, null);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request is null)
        {
            errors["body"] = ["Send name, country, adminEmail, adminName and adminPhone."];
            return errors;
        }

        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 200)
        {
            errors["name"] = ["Give the organisation's name, at most 200 characters."];
        }

        country = request.Country?.Trim().ToUpperInvariant();
        if (country is null || country.Length != 2 || !Phones.IsKnownRegion(country))
        {
            errors["country"] = ["Give the organisation's country as two letters (ISO 3166-1), e.g. NL."];
            country = null;
        }

        if (!EmailAddresses.IsValid(request.AdminEmail?.Trim())) errors["adminEmail"] = ["Give the first admin's e-mail address."];
        if (string.IsNullOrWhiteSpace(request.AdminName) || request.AdminName.Trim().Length > 200)
        {
            errors["adminName"] = ["Give the first admin's name, at most 200 characters."];
        }

        allowed = request.AllowedSmsCountries is null && country is not null ? [country]
            : request.AllowedSmsCountries?.Select(c => c.Trim().ToUpperInvariant()).Distinct().ToList();
        if (allowed is null || allowed.Count is 0 or > OrganisationApi.MaxAllowedCountries
            || allowed.Any(c => c.Length != 2 || !Phones.IsKnownRegion(c)))
        {
            errors["allowedSmsCountries"] = [$"Give 1 to {OrganisationApi.MaxAllowedCountries} countries as two letters, e.g. [\"NL\", \"BE\"]."];
            allowed = null;
        }

        // Admins sign in with an SMS code from the start: the invitation checks this number before the password is set.
        var check = Phones.Check(request.AdminPhone ?? "");
        if (!check.IsValid) errors["adminPhone"] = [check.ErrorMessage!];
        else if (allowed is not null && !Phones.CountryAllowed(check.E164!, allowed))
        {
            errors["adminPhone"] = [$"This number is from {Phones.RegionOf(check.E164!)}, and the organisation allows SMS to "
                + $"{string.Join(", ", allowed)} only: add the country to allowedSmsCountries, or give another number."];
        }
        else phone = check.E164;

        return errors;
    }
}

/// <summary>Lets through only a request with a configured operator key, and notes whose it was for the audit log.</summary>
public sealed class OperatorKeyFilter(IOptions<OperatorOptions> options, ILogger<OperatorKeyFilter> logger) : IEndpointFilter
{
    public const string OperatorItem = "flexwhere.operator";

    // Digests of equal length keep the comparison constant-time in the key's length too.
    private readonly (string Name, byte[] Digest)[] _keys =
        [.. options.Value.Keys.Select(pair => (pair.Key, SHA256.HashData(Encoding.UTF8.GetBytes(pair.Value))))];

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var presented = http.Request.Headers[OperatorOptions.HeaderName].ToString();
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        string? match = null;
        foreach (var (name, expected) in _keys)
        {
            // Every key is compared, so the time does not tell which one came close.
            if (CryptographicOperations.FixedTimeEquals(digest, expected) && presented.Length > 0) match = name;
        }

        if (match is null)
        {
            logger.LogWarning("Refused an operator request from {ClientIp}: {What}", http.Connection.RemoteIpAddress,
                presented.Length == 0 ? "no operator key" : "unknown operator key");
            return ValueTask.FromResult<object?>(new ApiProblem(StatusCodes.Status401Unauthorized, ProblemCodes.OperatorKeyRequired,
                "Operator key required.", $"Operator routes need a FlexWhere operator's key in the {OperatorOptions.HeaderName} header."));
        }

        http.Items[OperatorItem] = match;
        return next(context);
    }
}
