namespace FlexWhere.Accounts.Mfa;

public sealed record PendingPhoneChangeDto(Guid Id, Guid TargetUserId, string TargetEmail, Guid RequestedBy, string? PhoneHint,
    bool Verified,
    string State, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? ApplyAfter, string? RequestedByEmail = null);

/// <summary>How a number changes, whoever asks: the old number's trust ends with it.</summary>
public static class PhoneChanges
{
    /// <summary>An admin may approve another's change once they have been an admin this long: a second
    /// admin account created to approve one's own change cannot.</summary>
    public static readonly TimeSpan ApproverMinimumTenure = TimeSpan.FromDays(7);

    /// <summary>Where no second admin can approve, the change waits this long, and the old number is told.</summary>
    public static readonly TimeSpan SingleAdminDelay = TimeSpan.FromHours(24);

    /// <summary>Four-eyes: an admin's number is their organisation's most powerful second factor. Also
    /// for a disabled admin, and for anyone who ever was one (demote, change, promote is no way round).</summary>
    public static bool NeedsFourEyes(User target) => target.Role == UserRole.Admin || target.WasAdmin;

    public static bool CanApprove(User admin, DateTimeOffset now) =>
        admin is { Role: UserRole.Admin, Active: true } && admin.AdminSince <= now - ApproverMinimumTenure;

    /// <summary>Whether an admin other than the requester and the target can approve a change now: the
    /// two people of four-eyes are the requester and an independent approver.</summary>
    public static Task<bool> HasApproverAsync(AccountsDbContext db, Guid organisationId, Guid requester, Guid target, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var tenured = now - ApproverMinimumTenure;
        return db.Users.AnyAsync(u => u.OrganisationId == organisationId && u.Id != requester && u.Id != target && u.Role == UserRole.Admin
            && u.Active
            && u.AdminSince <= tenured, cancellationToken);
    }

    /// <summary>The four-eyes path of a change: waiting for a second admin, or, with none, applied by
    /// itself after <see cref="SingleAdminDelay"/> with a notice to the old number.</summary>
    public static async Task<PendingPhoneChange> RequestAsync(AccountsDbContext db, AuditLog audit, TimeProvider time,
        ChallengesClient challenges, User target,
        string? phone, bool verified, Guid requestedBy, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var change = Request(db, audit, time, target, phone, verified, requestedBy);
        if (await HasApproverAsync(db, target.OrganisationId, requestedBy, target.Id, now, cancellationToken)) return change;

        change.ApplyAfter = now + SingleAdminDelay;
        var noticed = "no old number to tell";
        if (target.PhoneNumber is not null)
        {
            var organisation = target.Organisation
                ?? await db.Organisations.SingleAsync(o => o.Id == target.OrganisationId, cancellationToken);
            var (_, failure) = await challenges.SendNoticeAsync(target.OrganisationId, target.Id, target.PhoneNumber,
                NoticeKinds.PhoneChangeScheduled, change.ApplyAfter.Value, User.LocaleFor(target, organisation), cancellationToken);
            noticed = failure is null
                ? $"notice sent to {Phones.Mask(target.PhoneNumber)}"
                : $"notice to {Phones.Mask(target.PhoneNumber)} failed: {failure.Code}";
        }

        audit.Record(target.OrganisationId, AuditEvents.PhoneChangeScheduled, actor: requestedBy, subject: target.Id,
            details: $"no second admin can approve: applies at {change.ApplyAfter:O} unless rejected (change {change.Id}); {noticed}");
        return change;
    }

    /// <summary>Applies the scheduled changes whose wait is over; returns how many.</summary>
    public static async Task<int> ApplyDueAsync(AccountsDbContext db, AuditLog audit, SecurityNotices notices, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = await db.PendingPhoneChanges.Where(c => c.State == PhoneChangeStates.Pending && c.ApplyAfter <= now && c.ExpiresAt > now)
            .OrderBy(c => c.ApplyAfter).Take(100).ToListAsync(cancellationToken);
        var applied = 0;
        foreach (var change in due)
        {
            var won = await db.PendingPhoneChanges.Where(c => c.Id == change.Id && c.State == PhoneChangeStates.Pending)
                .ExecuteUpdateAsync(set => set.SetProperty(c => c.State, PhoneChangeStates.Approved).SetProperty(c => c.DecidedAt, now),
                    cancellationToken) == 1;
            var target = await db.Users.SingleOrDefaultAsync(u => u.Id == change.TargetUserId, cancellationToken);
            if (!won || target is null) continue;
            await ApplyAsync(db, audit, notices, time, target, change.PhoneNumber, change.Verified, change.RequestedBy,
                $"after the {SingleAdminDelay.TotalHours:0}-hour wait without a second admin (change {change.Id})", cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            applied++;
        }

        return applied;
    }

    /// <param name="keepSession">The user's own session that proved the new number; every other session of the user ends.</param>
    public static async Task ApplyAsync(AccountsDbContext db, AuditLog audit, SecurityNotices notices, TimeProvider time, User user,
        string? phone, bool verified, Guid actor, string how, CancellationToken cancellationToken, Guid? keepSession = null)
    {
        var before = user.PhoneNumber is null ? "none" : Phones.Mask(user.PhoneNumber);
        var after = phone is null ? "none" : Phones.Mask(phone);
        await notices.AddAsync(user, EmailTemplates.PhoneChanged, Describe(user.PhoneNumber, phone), cancellationToken);
        if (user.PhoneNumber is { } old && old != phone) await notices.TextOldNumberAsync(user, old, cancellationToken);
        user.PhoneNumber = phone;
        user.PhoneVerified = phone is not null && verified;
        audit.Record(user.OrganisationId, AuditEvents.PhoneChanged, actor: actor, subject: user.Id,
            details: $"{before} → {after} ({how})");
        var revoked = await TrustedDevices.RevokeForUserAsync(db, user.Id, time.GetUtcNow(), RevocationReasons.PhoneChanged,
            cancellationToken);
        if (revoked > 0) audit.Record(user.OrganisationId, AuditEvents.TrustedDevicesRevoked, actor: actor, subject: user.Id,
            details: $"{revoked} trusted devices: phone number changed");
        var ended = await Sessions.EndForUserAsync(db, user.Id, time.GetUtcNow(), RevocationReasons.PhoneChanged, cancellationToken,
            except: keepSession);
        if (ended > 0) audit.Record(user.OrganisationId, AuditEvents.SessionsEnded, actor: actor, subject: user.Id,
            details: $"{ended} sessions: phone number changed");
    }

    /// <summary>A change of number as a notice names it: "+31 6 •••• ••78 → +31 6 •••• ••12", in the reader's language.</summary>
    public static Func<string, string> Describe(string? before, string? after) => locale =>
        $"{EmailTemplates.Number(before is null ? null : Phones.Mask(before), locale)} → "
        + EmailTemplates.Number(after is null ? null : Phones.Mask(after), locale);

    public static PendingPhoneChange Request(AccountsDbContext db, AuditLog audit, TimeProvider time, User target, string? phone,
        bool verified, Guid requestedBy)
    {
        var now = time.GetUtcNow();
        var change = new PendingPhoneChange
        {
            Id = Guid.CreateVersion7(now),
            OrganisationId = target.OrganisationId,
            TargetUserId = target.Id,
            RequestedBy = requestedBy,
            PhoneNumber = phone,
            Verified = verified,
            State = PhoneChangeStates.Pending,
            CreatedAt = now,
            ExpiresAt = now + PendingPhoneChange.Lifetime,
        };
        db.PendingPhoneChanges.Add(change);
        audit.Record(target.OrganisationId, AuditEvents.PhoneChangeRequested, actor: requestedBy, subject: target.Id,
            details: $"to {(phone is null ? "none" : Phones.Mask(phone))}; waits for a second admin (change {change.Id})");
        return change;
    }

    public static PendingPhoneChangeDto ToDto(PendingPhoneChange change, string targetEmail, string? requestedByEmail = null) =>
        new(change.Id, change.TargetUserId, targetEmail, change.RequestedBy, change.PhoneNumber is null ? null
            : Phones.Mask(change.PhoneNumber),
            change.Verified, change.State, change.CreatedAt, change.ExpiresAt, change.ApplyAfter, requestedByEmail);

    public static ApiProblem OwnNumberNeedsCode() =>
        new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.VerifyNewNumber, "Confirm your new number with a code.",
            "To change your own number, send it to POST /api/me/phone: we text a code to the new number, and the change applies once you " +
                "enter it.");
}
