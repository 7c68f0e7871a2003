namespace FlexWhere.Accounts.Users;

public sealed record CreateUserRequest(string? Email, string? DisplayName, string? Role, string? Phone, string? Password);

public sealed record UpdateUserRequest(string? DisplayName, string? Role);

public sealed record ChangePhoneRequest(string? Phone);

public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/users").WithTags("Users").RequireAuthorization(Policies.AdminOrManager);
        users.MapGet("/", List).WithName("ListUsers").WithSummary("Users of your organisation, paged, with search on e-mail and name.");
        users.MapGet("/{id:guid}", Get).WithName("GetUser");
        users.MapPost("/", Create).RequireAuthorization(Policies.Admin).WithName("CreateUser");
        users.MapPut("/{id:guid}", Update).RequireAuthorization(Policies.Admin).RequireStepUp().WithName("UpdateUser");
        users.MapPut("/{id:guid}/phone", ChangePhone).RequireStepUp().WithName("ChangePhone")
            .WithSummary("Admins change another user's number (unverified until its first sign-in code); an admin's number needs a " +
                "second admin's approval (202). Your own number: POST /api/me/phone.");
        users.MapPost("/{id:guid}/disable", Disable).RequireAuthorization(Policies.Admin).WithName("DisableUser");
        users.MapPost("/{id:guid}/enable", Enable).RequireAuthorization(Policies.Admin).WithName("EnableUser");
        users.MapDelete("/{id:guid}", Delete).RequireAuthorization(Policies.Admin).WithName("DeleteUser");
        return app;
    }

    public static async Task<Results<Ok<UserPage>, ApiProblem>> List(
        ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, CancellationToken cancellationToken, int page = 1,
            int pageSize = 25, string? search = null)
    {
        if (page < 1 || pageSize is < 1 or > 100) return ApiProblem.Validation(page < 1 ? "page" : "pageSize",
            "page starts at 1; pageSize is 1 to 100.");
        if (search is { Length: > 200 }) return ApiProblem.Validation("search", "search is at most 200 characters.");

        var caller = Caller.From(principal);
        var query = db.Users.Where(u => u.OrganisationId == caller.OrganisationId);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var pattern = "%" + search.Trim().Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
            query = query.Where(u => EF.Functions.ILike(u.Email, pattern) || EF.Functions.ILike(u.DisplayName, pattern));
        }

        var total = await query.CountAsync(cancellationToken);
        var items = await query.OrderBy(u => u.NormalizedEmail).Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var locks = await LocksAsync(db, items, now, cancellationToken);
        return TypedResults.Ok(new UserPage([.. items.Select(u => UserDto.From(u, caller, locks.GetValueOrDefault(u.Id), now))], page,
            pageSize, total));
    }

    public static async Task<Results<Ok<UserDto>, ApiProblem>> Get(
        Guid id, ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var user = await FindAsync(db, caller, id, cancellationToken);
        if (user is null) return AccountsRefusals.NotFound();
        var now = time.GetUtcNow();
        return TypedResults.Ok(UserDto.From(user, caller,
            await SignInThrottles.LockedUntilAsync(db, user.NormalizedEmail, now, cancellationToken), now));
    }

    /// <summary>The wrong-password locks of these users, by user id.</summary>
    private static async Task<Dictionary<Guid, DateTimeOffset?>> LocksAsync(AccountsDbContext db, IReadOnlyList<User> users,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var byKey = users.ToDictionary(u => Convert.ToHexString(SignInThrottles.ForEmail(u.NormalizedEmail)), u => u.Id);
        var keys = users.Select(u => SignInThrottles.ForEmail(u.NormalizedEmail)).ToList();
        var locked = await db.SignInThrottles.Where(t => keys.Contains(t.Key) && t.LockedUntil > now)
            .Select(t => new { t.Key, t.LockedUntil }).ToListAsync(cancellationToken);
        return locked.ToDictionary(t => byKey[Convert.ToHexString(t.Key)], t => t.LockedUntil);
    }

    public static async Task<Results<Created<UserDto>, ApiProblem>> Create(
        CreateUserRequest? request, ClaimsPrincipal principal, AccountsDbContext db, IPasswordHasher<User> hasher, TimeProvider time,
            AuditLog audit, AccountLinks links, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var organisation = await db.Organisations.SingleAsync(o => o.Id == caller.OrganisationId, cancellationToken);
        if (organisation.LinkedDatabase) return AccountsRefusals.ManagedByLinkedDatabase();

        if (request is null) return ApiProblem.Validation("body", "Send email, displayName, role and optionally phone and password.");
        if (!EmailAddresses.IsValid(request.Email?.Trim())) return InvalidEmail();
        if (string.IsNullOrWhiteSpace(request.DisplayName) || request.DisplayName.Length > 200)
        {
            return ApiProblem.Validation("displayName", "displayName is required, at most 200 characters.");
        }
        if (!Roles.TryParse(request.Role, out var role)) return ApiProblem.Validation("role", "role is Admin, Manager or Employee.");
        if (request.Password is not null && PasswordPolicy.Check(request.Password, request.Email!) is { } weak) return weak;

        string? phone = null;
        if (!string.IsNullOrWhiteSpace(request.Phone))
        {
            var check = Phones.Check(request.Phone);
            if (!check.IsValid) return PhoneProblem(check);
            phone = check.E164;
        }

        var email = request.Email!.Trim();
        var normalized = User.Normalize(email);
        if (await db.Users.AnyAsync(u => u.NormalizedEmail == normalized, cancellationToken)) return EmailTaken();

        var now = time.GetUtcNow();
        var user = User.Create(caller.OrganisationId, email, request.DisplayName, role, phone, now);
        db.Users.Add(user);
        audit.ByCaller(AuditEvents.UserCreated, user.Id, $"role {role}");
        if (request.Password is not null)
        {
            user.PasswordHash = hasher.HashPassword(user, request.Password);
        }
        else
        {
            // No password from the admin: the user chooses one with the invitation's link.
            await links.SendAsync(user, organisation, AccountLinkPurposes.Invitation, caller.UserId, cancellationToken);
            audit.ByCaller(AuditEvents.InvitationSent, user.Id);
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException
            is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            return EmailTaken();
        }

        return TypedResults.Created($"/api/users/{user.Id}", UserDto.From(user, caller));
    }

    public static async Task<Results<Ok<UserDto>, ApiProblem>> Update(
        Guid id, UpdateUserRequest? request, ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, AuditLog audit,
            CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var user = await FindAsync(db, caller, id, cancellationToken);
        if (user is null) return AccountsRefusals.NotFound();
        if (user.Organisation.LinkedDatabase) return AccountsRefusals.ManagedByLinkedDatabase();
        if (request is null) return ApiProblem.Validation("body", "Send displayName and/or role.");
        if (request.DisplayName is not null && (string.IsNullOrWhiteSpace(request.DisplayName) || request.DisplayName.Length > 200))
        {
            return ApiProblem.Validation("displayName", "displayName is at most 200 characters and not empty.");
        }

        UserRole? role = null;
        if (request.Role is not null)
        {
            if (!Roles.TryParse(request.Role, out var parsed)) return ApiProblem.Validation("role", "role is Admin, Manager or Employee.");
            role = parsed;
        }

        if (role is not null && role != UserRole.Admin && user.Id == caller.UserId) return OwnAccount("change your own role");

        var changes = new List<string>();
        if (request.DisplayName is not null && request.DisplayName.Trim() != user.DisplayName)
        {
            user.DisplayName = request.DisplayName.Trim();
            changes.Add("display name");
        }

        if (role is not null && role != user.Role)
        {
            changes.Add($"role {user.Role} → {role}");
            user.SetRole(role.Value, time.GetUtcNow());
            var revoked = await TrustedDevices.RevokeForUserAsync(db, user.Id, time.GetUtcNow(), RevocationReasons.RoleChanged,
                cancellationToken);
            if (revoked > 0) audit.ByCaller(AuditEvents.TrustedDevicesRevoked, user.Id, $"{revoked} trusted devices: role changed");
            // A session was earned for the role it was opened with.
            var ended = await Sessions.EndForUserAsync(db, user.Id, time.GetUtcNow(), RevocationReasons.RoleChanged, cancellationToken);
            if (ended > 0) audit.ByCaller(AuditEvents.SessionsEnded, user.Id, $"{ended} sessions: role changed");
        }

        if (changes.Count > 0)
        {
            audit.ByCaller(AuditEvents.UserUpdated, user.Id, string.Join("; ", changes));
            await db.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.Ok(UserDto.From(user, caller));
    }

    public static async Task<Results<Ok<UserDto>, Accepted<PendingPhoneChangeDto>, ApiProblem>> ChangePhone(
        Guid id, ChangePhoneRequest? request, ClaimsPrincipal principal, AccountsDbContext db, ChallengesClient challenges,
            TimeProvider time, AuditLog audit, SecurityNotices notices, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var user = await FindAsync(db, caller, id, cancellationToken);
        if (user is null) return AccountsRefusals.NotFound();
        if (user.Organisation.LinkedDatabase) return AccountsRefusals.ManagedByLinkedDatabase();
        if (user.Id == caller.UserId) return PhoneChanges.OwnNumberNeedsCode();
        if (!caller.IsAdmin)
        {
            return new ApiProblem(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, "Only your own number.",
                "Managers can change only their own phone number; ask an administrator.");
        }

        if (request is null) return ApiProblem.Validation("body",
            "Send phone (international form, e.g. +31 6 12345678), or null to remove it.");

        string? phone = null;
        if (!string.IsNullOrWhiteSpace(request.Phone))
        {
            var check = Phones.Check(request.Phone);
            if (!check.IsValid) return PhoneProblem(check);
            phone = check.E164;
        }

        if (phone == user.PhoneNumber) return TypedResults.Ok(UserDto.From(user, caller));

        if (PhoneChanges.NeedsFourEyes(user))
        {
            var change = await PhoneChanges.RequestAsync(db, audit, time, challenges, user, phone, verified: false, caller.UserId,
                cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            return TypedResults.Accepted($"/api/phone-changes/{change.Id}", PhoneChanges.ToDto(change, user.Email));
        }

        // Unverified until the first sign-in code to it succeeds.
        await PhoneChanges.ApplyAsync(db, audit, notices, time, user, phone, verified: false, caller.UserId, "set by an admin",
            cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(UserDto.From(user, caller));
    }

    public static Task<Results<Ok<UserDto>, ApiProblem>> Disable(
        Guid id, ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, AuditLog audit, CancellationToken cancellationToken) =>
        SetActiveAsync(id, active: false, principal, db, time, audit, cancellationToken);

    public static Task<Results<Ok<UserDto>, ApiProblem>> Enable(
        Guid id, ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, AuditLog audit, CancellationToken cancellationToken) =>
        SetActiveAsync(id, active: true, principal, db, time, audit, cancellationToken);

    private static async Task<Results<Ok<UserDto>, ApiProblem>> SetActiveAsync(
        Guid id, bool active, ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, AuditLog audit,
            CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var user = await FindAsync(db, caller, id, cancellationToken);
        if (user is null) return AccountsRefusals.NotFound();
        if (user.Id == caller.UserId) return OwnAccount("disable your own account");

        if (user.Active != active)
        {
            user.Active = active;
            if (!active)
            {
                await Sessions.EndForUserAsync(db, user.Id, time.GetUtcNow(), RevocationReasons.UserDisabled, cancellationToken);
                await TrustedDevices.RevokeForUserAsync(db, user.Id, time.GetUtcNow(), RevocationReasons.UserDisabled,
                    cancellationToken);
            }

            audit.ByCaller(active ? AuditEvents.UserEnabled : AuditEvents.UserDisabled, user.Id);
            await db.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.Ok(UserDto.From(user, caller));
    }

    public static async Task<Results<NoContent, ApiProblem>> Delete(
        Guid id, ClaimsPrincipal principal, AccountsDbContext db, AuditLog audit, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var user = await FindAsync(db, caller, id, cancellationToken);
        if (user is null) return AccountsRefusals.NotFound();
        if (user.Id == caller.UserId) return OwnAccount("delete your own account");
        if (user.Organisation.LinkedDatabase) return AccountsRefusals.ManagedByLinkedDatabase();

        db.Users.Remove(user);
        audit.ByCaller(AuditEvents.UserDeleted, user.Id, $"role {user.Role}");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>Only within the caller's organisation: another organisation's id is simply not found.</summary>
    private static Task<User?> FindAsync(AccountsDbContext db, Caller caller, Guid id, CancellationToken cancellationToken) =>
        db.Users.Include(u => u.Organisation)
            .SingleOrDefaultAsync(u => u.Id == id && u.OrganisationId == caller.OrganisationId, cancellationToken);

    public static ApiProblem PhoneProblem(PhoneCheck check) =>
        new ApiProblem(StatusCodes.Status400BadRequest, check.ErrorCode!, "This phone number cannot be used.", check.ErrorMessage);

    public static ApiProblem InvalidEmail() =>
        new ApiProblem(StatusCodes.Status400BadRequest, ProblemCodes.EmailInvalid, "This is not a valid e-mail address.",
            "Enter an address like name@example.com.");

    public static ApiProblem EmailTaken() =>
        new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.EmailTaken, "This e-mail address is already in use.",
            "Every account needs its own e-mail address; this one already signs in to FlexWhere.");

    private static ApiProblem OwnAccount(string what) =>
        new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.OwnAccount, $"You cannot {what}.",
            "Ask another administrator of your organisation.");
}
