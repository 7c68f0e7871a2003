namespace FlexWhere.Accounts.Mfa;

/// <summary>Admins over their organisation's second factors: trusted devices, MFA resets, and the
/// second approval of an admin's new phone number.</summary>
public static class AdminMfaApi
{
    public static IEndpointRouteBuilder MapAdminMfaApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/users/{userId:guid}").WithTags("Users").RequireAuthorization(Policies.Admin);
        users.MapGet("/devices", ListDevices).WithName("ListUserTrustedDevices");
        users.MapDelete("/devices/{deviceId:guid}", RevokeDevice).WithName("RevokeUserTrustedDevice");
        users.MapPost("/unlock", Unlock).RequireStepUp().WithName("UnlockUser")
            .WithSummary("Ends a lock after wrong passwords (on the address and the user's trusted devices) or wrong second-factor codes.");
        users.MapPost("/mfa/reset", ResetMfa).RequireStepUp().WithName("ResetUserMfa")
            .WithSummary("For a lost phone: ends the user's trusted devices, recovery codes and sessions; the next sign-in needs a fresh " +
                "second factor.");

        var changes = app.MapGroup("/api/phone-changes").WithTags("Users").RequireAuthorization(Policies.Admin);
        changes.MapGet("/", ListPendingChanges).WithName("ListPendingPhoneChanges")
            .WithSummary("Admins' new numbers waiting for a second admin.");
        changes.MapPost("/{changeId:guid}/approve", Approve).RequireStepUp().WithName("ApprovePhoneChange")
            .WithSummary("A second admin (not the one who asked) applies the change.");
        changes.MapPost("/{changeId:guid}/reject", Reject).WithName("RejectPhoneChange");
        return app;
    }

    public static async Task<Results<Ok<List<TrustedDeviceDto>>, ApiProblem>> ListDevices(
        Guid userId, ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        if (!await db.Users.AnyAsync(u => u.Id == userId && u.OrganisationId == caller.OrganisationId,
            cancellationToken)) return AccountsRefusals.NotFound();
        var devices = await AccountSecurityApi.TrustedDevicesOf(db, userId, caller.OrganisationId, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(devices.Select(d => TrustedDeviceDto.From(d, null)).ToList());
    }

    public static async Task<Results<NoContent, ApiProblem>> RevokeDevice(
        Guid userId, Guid deviceId, ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, AuditLog audit,
            CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        return await AccountSecurityApi.RevokeDeviceAsync(db, audit, time, caller, userId, deviceId, RevocationReasons.RevokedByAdmin,
            cancellationToken)
            ? TypedResults.NoContent()
            : AccountsRefusals.NotFound("trusted device");
    }

    public static async Task<Results<NoContent, ApiProblem>> Unlock(
        Guid userId, ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, AuditLog audit,
            CancellationToken cancellationToken)
    {
        if (await InCallersOrganisationAsync(db, principal, userId, cancellationToken) is not { } user) return AccountsRefusals.NotFound();

        var keys = await db.TrustedDevices.Where(d => d.UserId == user.Id).Select(d => d.Id).ToListAsync(cancellationToken);
        var throttles = keys.Select(SignInThrottles.ForDevice).Append(SignInThrottles.ForEmail(user.NormalizedEmail)).ToList();
        var cleared = await db.SignInThrottles.Where(t => throttles.Contains(t.Key)).ExecuteDeleteAsync(cancellationToken);
        var secondFactor = user.SecondFactorLockedUntil > time.GetUtcNow();
        user.SecondFactorFailures = 0;
        user.SecondFactorLockedUntil = null;
        audit.ByCaller(AuditEvents.AccountUnlocked, user.Id,
            $"{cleared} password counters cleared{(secondFactor ? "; second-factor lock ended" : "")}");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<NoContent, ApiProblem>> ResetMfa(
        Guid userId, ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, AuditLog audit, SecurityNotices notices,
            CancellationToken cancellationToken)
    {
        if (await InCallersOrganisationAsync(db, principal, userId, cancellationToken) is not { } user) return AccountsRefusals.NotFound();
        if (user.Id == Caller.From(principal).UserId)
        {
            return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.OwnAccount, "You cannot reset your own sign-in.",
                "Ask another administrator of your organisation.");
        }

        var now = time.GetUtcNow();
        var devices = await TrustedDevices.RevokeForUserAsync(db, user.Id, now, RevocationReasons.MfaReset, cancellationToken);
        var codes = await db.RecoveryCodes.Where(c => c.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        await Sessions.EndForUserAsync(db, user.Id, now, RevocationReasons.MfaReset, cancellationToken);
        // The authenticator app and the PINs of the ended sessions go too: the next mobile sign-in enrolls anew.
        await db.TotpFactors.Where(f => f.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        // A lost passkey may be in someone else's hands: it stops working with the reset.
        var passkeys = await db.Passkeys.Where(p => p.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        await db.MobilePins.Where(p => p.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        await db.LoginTickets.Where(t => t.UserId == user.Id && t.ConsumedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.ConsumedAt, now), cancellationToken);
        audit.ByCaller(AuditEvents.MfaReset, user.Id,
            $"{devices} trusted devices revoked, {codes} recovery codes and {passkeys} passkeys removed, sessions ended");
        await notices.AddAsync(user, EmailTemplates.MfaReset, null, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<List<PendingPhoneChangeDto>>> ListPendingChanges(
        ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var now = time.GetUtcNow();
        var pending = await db.PendingPhoneChanges
            .Where(c => c.OrganisationId == caller.OrganisationId && c.State == PhoneChangeStates.Pending && c.ExpiresAt > now)
            .Join(db.Users, c => c.TargetUserId, u => u.Id, (c, u) => new { Change = c, u.Email })
            // Who asked, so the approver knows whom to check with (the requester may since have been deleted).
            .GroupJoin(db.Users, x => x.Change.RequestedBy, u => u.Id, (x, requesters) => new { x.Change, x.Email, requesters })
            .SelectMany(x => x.requesters.DefaultIfEmpty(), (x, requester) => new { x.Change, x.Email, RequestedBy = requester!.Email })
            .OrderBy(x => x.Change.CreatedAt).ToListAsync(cancellationToken);
        return TypedResults.Ok(pending.Select(x => PhoneChanges.ToDto(x.Change, x.Email, x.RequestedBy)).ToList());
    }

    public static async Task<Results<Ok<PendingPhoneChangeDto>, ApiProblem>> Approve(
        Guid changeId, ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, AuditLog audit, SecurityNotices notices,
            CancellationToken cancellationToken) =>
        await DecideAsync(changeId, approve: true, principal, db, time, audit, notices, cancellationToken);

    public static async Task<Results<Ok<PendingPhoneChangeDto>, ApiProblem>> Reject(
        Guid changeId, ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, AuditLog audit, SecurityNotices notices,
            CancellationToken cancellationToken) =>
        await DecideAsync(changeId, approve: false, principal, db, time, audit, notices, cancellationToken);

    private static async Task<Results<Ok<PendingPhoneChangeDto>, ApiProblem>> DecideAsync(
        Guid changeId, bool approve, ClaimsPrincipal principal, AccountsDbContext db, TimeProvider time, AuditLog audit,
            SecurityNotices notices, CancellationToken cancellationToken)
    {
        var caller = Caller.From(principal);
        var now = time.GetUtcNow();
        var change = await db.PendingPhoneChanges.SingleOrDefaultAsync(c => c.Id == changeId && c.OrganisationId == caller.OrganisationId,
            cancellationToken);
        if (change is null) return AccountsRefusals.NotFound("phone change");
        var target = await db.Users.Include(u => u.Organisation).SingleOrDefaultAsync(u => u.Id == change.TargetUserId, cancellationToken);
        if (change.State != PhoneChangeStates.Pending || change.ExpiresAt <= now || target is null)
        {
            return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.PhoneChangeClosed, "This change is no longer pending.",
                "It was already approved or rejected, or it expired after 7 days. Ask for the change again if it is still needed.");
        }

        // Rejecting is always allowed (the requester may withdraw); approving takes a second person.
        if (approve && (caller.UserId == change.RequestedBy || caller.UserId == change.TargetUserId))
        {
            return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.SecondAdminRequired, "Another admin must approve this.",
                "A change of an admin's phone number needs the approval of a second admin: neither the one who asked for it nor the " +
                    "admin whose number it is.");
        }

        if (approve && !PhoneChanges.CanApprove(await db.Users.SingleAsync(u => u.Id == caller.UserId, cancellationToken), now))
        {
            return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.ApproverTooNew, "You cannot approve this yet.",
                $"An admin can approve changes of admins' numbers after {PhoneChanges.ApproverMinimumTenure.TotalDays:0} days as an " +
                    $"admin. Ask an administrator who has been one longer.");
        }

        var decided = await db.PendingPhoneChanges.Where(c => c.Id == change.Id && c.State == PhoneChangeStates.Pending)
            .ExecuteUpdateAsync(set => set
                .SetProperty(c => c.State, approve ? PhoneChangeStates.Approved : PhoneChangeStates.Rejected)
                .SetProperty(c => c.DecidedBy, caller.UserId)
                .SetProperty(c => c.DecidedAt, now), cancellationToken) == 1;
        if (!decided) return new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.PhoneChangeClosed,
            "This change is no longer pending.", "Another admin decided it first.");

        change.State = approve ? PhoneChangeStates.Approved : PhoneChangeStates.Rejected;
        if (approve)
        {
            await PhoneChanges.ApplyAsync(db, audit, notices, time, target, change.PhoneNumber, change.Verified, caller.UserId,
                $"approved by a second admin (change {change.Id})", cancellationToken);
        }

        audit.ByCaller(approve ? AuditEvents.PhoneChangeApproved : AuditEvents.PhoneChangeRejected, target.Id,
            $"change {change.Id} requested by {change.RequestedBy}");
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(PhoneChanges.ToDto(change, target.Email));
    }

    /// <summary>The user, when they belong to the caller's organisation; another organisation's user is not found.</summary>
    private static Task<User?> InCallersOrganisationAsync(AccountsDbContext db, ClaimsPrincipal principal, Guid userId,
        CancellationToken cancellationToken)
    {
        var organisationId = Caller.From(principal).OrganisationId;
        return db.Users.SingleOrDefaultAsync(u => u.Id == userId && u.OrganisationId == organisationId, cancellationToken);
    }
}
