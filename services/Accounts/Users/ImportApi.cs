using Microsoft.AspNetCore.Mvc;


namespace FlexWhere.Accounts.Users;

public sealed record ImportRow(string? Email, string? DisplayName, string? Role, string? Phone);

/// <summary>A batch from the organisation's linked database. With <see cref="FullSync"/> the batch
/// is the whole directory: users of the organisation missing from it are disabled (never deleted).</summary>
public sealed record ImportRequest(bool FullSync, IReadOnlyList<ImportRow>? Users);

public sealed record ImportRowError(int Row, string? Email, string Code, string Message);

public sealed record ImportResult(int Created, int Updated, int Unchanged, int Disabled, IReadOnlyList<ImportRowError> Errors)
{
    /// <summary>Rows whose new number belongs to someone who is or was an admin: they wait for a second admin.</summary>
    public int PendingApproval { get; init; }
}

public static class ImportApi
{
    public const int MaxRows = 5000;
    public const long MaxBodyBytes = 4 * 1024 * 1024;

    public static IEndpointRouteBuilder MapImportApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/users/import", Import).WithTags("Users").RequireAuthorization(Policies.Admin).RequireStepUp()
            .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes))
            .WithName("ImportUsers")
            .WithSummary("Upsert users from the linked database (idempotent); bad rows are reported, the rest is applied.");
        app.MapPost("/api/users/import/csv", ImportCsv).WithTags("Users").RequireAuthorization(Policies.Admin).RequireStepUp()
            .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes))
            .Accepts<string>("text/csv")
            .WithName("ImportUsersCsv")
            .WithSummary("The same import from CSV with a header row: email,displayName,role,phone. ?fullSync=true for a full sync.");
        return app;
    }

    public static async Task<Results<Ok<ImportResult>, ApiProblem>> ImportCsv(
        ClaimsPrincipal principal, AccountsDbContext db, ChallengesClient challenges, TimeProvider time, HttpContext http, AuditLog audit,
        AccountLinks links, SecurityNotices notices, CancellationToken cancellationToken, bool fullSync = false)
    {
        using var reader = new StreamReader(http.Request.Body);
        var text = await reader.ReadToEndAsync(cancellationToken);
        var records = Csv.Parse(text);
        if (ControlCharacters.CheckCsv(records) is { } refused) return refused;
        if (records.Count == 0) return ApiProblem.Validation("body",
            "Send a header row (email,displayName,role,phone) and one row per user.");

        var header = records[0].Select(h => h.Trim().ToLowerInvariant()).ToList();
        int Column(params string[] names) => header.FindIndex(names.Contains);
        int email = Column("email"), name = Column("displayname", "display_name", "name"), role = Column("role"), phone =
            Column("phone", "phonenumber", "phone_number");
        if (email < 0 || name < 0 || role < 0)
        {
            return ApiProblem.Validation("header", "The header row must name the columns email, displayName and role (phone is optional).");
        }

        string? At(IReadOnlyList<string> record, int index) => index >= 0 && index < record.Count ? record[index] : null;
        var rows = records.Skip(1).Select(r => new ImportRow(At(r, email), At(r, name), At(r, role), At(r, phone))).ToList();
        return await Import(new ImportRequest(fullSync, rows), principal, db, challenges, time, audit, links, notices, cancellationToken);
    }

    public static async Task<Results<Ok<ImportResult>, ApiProblem>> Import(
        ImportRequest? request, ClaimsPrincipal principal, AccountsDbContext db, ChallengesClient challenges, TimeProvider time,
            AuditLog audit, AccountLinks links, SecurityNotices notices, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var organisation = await db.Organisations.SingleAsync(o => o.Id == caller.OrganisationId, cancellationToken);
        if (!organisation.LinkedDatabase)
        {
            return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.LinkedDatabaseNotEnabled, "No linked database.",
                "Your organisation is not linked to a directory: switch linkedDatabase on in the organisation settings first, or manage " +
                    "users one by one.");
        }

        if (request?.Users is null) return ApiProblem.Validation("users",
            "Send { \"fullSync\": false, \"users\": [ { \"email\", \"displayName\", \"role\", \"phone\" } ] }.");
        if (request.Users.Count > MaxRows)
        {
            return new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.ImportTooLarge, "Too many rows.",
                $"Send at most {MaxRows} users per request.");
        }

        var now = time.GetUtcNow();
        var existing = await db.Users.Where(u => u.OrganisationId == caller.OrganisationId)
            .ToDictionaryAsync(u => u.NormalizedEmail, cancellationToken);
        var errors = new List<ImportRowError>();
        var seen = new HashSet<string>();
        int created = 0, updated = 0, unchanged = 0, pending = 0;

        async Task RevokeTrustAsync(User user, string reason)
        {
            if (await TrustedDevices.RevokeForUserAsync(db, user.Id, now, reason, cancellationToken) > 0)
            {
                audit.ByCaller(AuditEvents.TrustedDevicesRevoked, user.Id, $"{reason} (linked database)");
            }
        }

        for (var row = 0; row < request.Users.Count; row++)
        {
            var item = request.Users[row];
            var email = item?.Email?.Trim();
            if (item is null || !EmailAddresses.IsValid(email))
            {
                errors.Add(new(row, item?.Email, "email_invalid", "Not a valid e-mail address (name@example.com)."));
                continue;
            }

            var normalized = User.Normalize(email!);
            if (!seen.Add(normalized))
            {
                errors.Add(new(row, email, "duplicate_in_batch",
                    "This e-mail address appears earlier in the batch; only the first row counts."));
                continue;
            }

            if (string.IsNullOrWhiteSpace(item.DisplayName) || item.DisplayName.Length > 200)
            {
                errors.Add(new(row, email, "display_name_invalid", "A display name is required (at most 200 characters)."));
                continue;
            }

            if (!Roles.TryParse(item.Role, out var role))
            {
                errors.Add(new(row, email, "role_invalid", "Role is Admin, Manager or Employee."));
                continue;
            }

            string? phone = null;
            if (!string.IsNullOrWhiteSpace(item.Phone))
            {
                var check = Phones.Check(item.Phone);
                if (!check.IsValid)
                {
                    errors.Add(new(row, email, check.ErrorCode!, check.ErrorMessage!));
                    continue;
                }

                phone = check.E164;
            }

            if (!existing.TryGetValue(normalized, out var user))
            {
                if (await db.Users.AnyAsync(u => u.NormalizedEmail == normalized, cancellationToken))
                {
                    errors.Add(new(row, email, "email_taken", "This e-mail address belongs to an account of another organisation."));
                    continue;
                }

                var added = User.Create(caller.OrganisationId, email!, item.DisplayName, role, phone, now);
                added.FromLinkedDatabase = true;
                db.Users.Add(added);
                // Saved with the import: every new user gets the invitation to choose a password.
                await links.SendAsync(added, organisation, AccountLinkPurposes.Invitation, caller.UserId, cancellationToken);
                created++;
                continue;
            }

            var changed = false;
            if (user.DisplayName != item.DisplayName.Trim()) { user.DisplayName = item.DisplayName.Trim(); changed = true; }
            // Decided before the role changes: a number of someone who is or was an admin takes four eyes.
            var fourEyes = PhoneChanges.NeedsFourEyes(user);
            if (user.Role != role)
            {
                user.SetRole(role, now);
                changed = true;
                await RevokeTrustAsync(user, RevocationReasons.RoleChanged);
                await Sessions.EndForUserAsync(db, user.Id, now, RevocationReasons.RoleChanged, cancellationToken);
            }

            if (!user.Active) { user.Active = true; changed = true; }
            if (!user.FromLinkedDatabase) { user.FromLinkedDatabase = true; changed = true; }
            if (user.PhoneNumber != phone && (fourEyes || PhoneChanges.NeedsFourEyes(user)))
            {
                // The directory is no way around four eyes: an admin's number from an import waits like any other.
                var open = await db.PendingPhoneChanges.AnyAsync(c => c.TargetUserId == user.Id && c.State == PhoneChangeStates.Pending
                    && c.PhoneNumber == phone
                    && c.ExpiresAt > now, cancellationToken);
                if (!open)
                {
                    await PhoneChanges.RequestAsync(db, audit, time, challenges, user, phone, verified: false, caller.UserId,
                        cancellationToken);
                    pending++;
                }
            }
            else if (user.PhoneNumber != phone)
            {
                var change = PhoneChanges.Describe(user.PhoneNumber, phone);
                audit.ByCaller(AuditEvents.PhoneChanged, user.Id, $"{change("en")} (linked database)");
                await notices.AddAsync(user, EmailTemplates.PhoneChanged, change, cancellationToken);
                if (user.PhoneNumber is { } old) await notices.TextOldNumberAsync(user, old, cancellationToken);
                user.PhoneNumber = phone;
                // The directory is the authority on the number; the first sign-in code to it verifies it.
                user.PhoneVerified = false;
                changed = true;
                await RevokeTrustAsync(user, RevocationReasons.PhoneChanged);
                await Sessions.EndForUserAsync(db, user.Id, now, RevocationReasons.PhoneChanged, cancellationToken);
            }

            if (changed) updated++; else unchanged++;
        }

        var disabled = 0;
        if (request.FullSync)
        {
            // The calling admin is never disabled by their own sync: that would lock the organisation out.
            var missing = existing.Values.Where(u => u.Active && !seen.Contains(u.NormalizedEmail) && u.Id != caller.UserId).ToList();
            var missingIds = missing.Select(u => u.Id).ToList();
            await Sessions.EndAsync(db, s => missingIds.Contains(s.UserId), now, RevocationReasons.UserDisabled, cancellationToken);

            foreach (var user in missing)
            {
                user.Active = false;
                audit.ByCaller(AuditEvents.UserDisabled, user.Id, "missing from full sync");
            }

            disabled = missing.Count;
        }

        audit.ByCaller(AuditEvents.Import, details:
            $"{(request.FullSync ? "full sync" : "batch")}: {request.Users.Count} rows, {created} created, {updated} updated, "
            + $"{unchanged} unchanged, {disabled} disabled, {pending} admins' numbers waiting for four eyes, {errors.Count} errors");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new ImportResult(created, updated, unchanged, disabled, errors) { PendingApproval = pending });
    }
}
