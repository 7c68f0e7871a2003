using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Data;
using FlexWhere.Accounts.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.Mfa;

/// <summary>A number the user asked to use, waiting for the code sent to it.</summary>
public sealed class PhoneVerification
{
    public Guid Id { get; set; }

    public required byte[] TokenHash { get; set; }

    public Guid UserId { get; set; }

    public Guid OrganisationId { get; set; }

    /// <summary>E.164.</summary>
    public required string PhoneNumber { get; set; }

    public required string ChallengeId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? ConsumedAt { get; set; }
}

public static class PhoneChangeStates
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public const string Expired = "expired";
}

/// <summary>A change of an admin's number that a second admin must approve (four-eyes), so one
/// compromised admin account cannot move another admin's — or its own — second factor.</summary>
public sealed class PendingPhoneChange
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public Guid Id { get; set; }

    public Guid OrganisationId { get; set; }

    public Guid TargetUserId { get; set; }

    public Guid RequestedBy { get; set; }

    /// <summary>E.164, or null to remove the number.</summary>
    public string? PhoneNumber { get; set; }

    /// <summary>True when the target proved the number with a code before asking.</summary>
    public bool Verified { get; set; }

    public required string State { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public Guid? DecidedBy { get; set; }

    public DateTimeOffset? DecidedAt { get; set; }
}

public sealed record PendingPhoneChangeDto(Guid Id, Guid TargetUserId, string TargetEmail, Guid RequestedBy, string? PhoneHint, bool Verified,
    string State, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>How a number changes, whoever asks: the old number's trust ends with it.</summary>
public static class PhoneChanges
{
    /// <summary>Four-eyes: an admin's number is their organisation's most powerful second factor.</summary>
    public static async Task<bool> NeedsSecondAdminAsync(AccountsDbContext db, User target, CancellationToken cancellationToken) =>
        target.Role == UserRole.Admin
        && await db.Users.CountAsync(u => u.OrganisationId == target.OrganisationId && u.Role == UserRole.Admin && u.Active, cancellationToken) > 1;

    public static async Task ApplyAsync(AccountsDbContext db, HttpContext http, TimeProvider time, User user, string? phone, bool verified, Guid actor, string how,
        CancellationToken cancellationToken)
    {
        var before = user.PhoneNumber is null ? "none" : Phones.Mask(user.PhoneNumber);
        var after = phone is null ? "none" : Phones.Mask(phone);
        user.PhoneNumber = phone;
        user.PhoneVerified = phone is not null && verified;
        db.Record(http, time, user.OrganisationId, AuditEvents.PhoneChanged, actor, user.Id, $"{before} → {after} ({how})");
        var revoked = await TrustedDevices.RevokeForUserAsync(db, user.Id, time.GetUtcNow(), TrustedDevices.Reasons.PhoneChanged, cancellationToken);
        if (revoked > 0) db.Record(http, time, user.OrganisationId, AuditEvents.TrustedDevicesRevoked, actor, user.Id, $"{revoked} trusted devices: phone number changed");
    }

    public static PendingPhoneChange Request(AccountsDbContext db, HttpContext http, TimeProvider time, User target, string? phone, bool verified, Guid requestedBy)
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
        db.Record(http, time, target.OrganisationId, AuditEvents.PhoneChangeRequested, requestedBy, target.Id,
            $"to {(phone is null ? "none" : Phones.Mask(phone))}; waits for a second admin (change {change.Id})");
        return change;
    }

    public static PendingPhoneChangeDto ToDto(PendingPhoneChange change, string targetEmail) =>
        new(change.Id, change.TargetUserId, targetEmail, change.RequestedBy, change.PhoneNumber is null ? null : Phones.Mask(change.PhoneNumber),
            change.Verified, change.State, change.CreatedAt, change.ExpiresAt);

    public static ProblemHttpResult OwnNumberNeedsCode() =>
        Problems.Create(StatusCodes.Status409Conflict, "verify_new_number", "Confirm your new number with a code.",
            "To change your own number, send it to POST /api/me/phone: we text a code to the new number, and the change applies once you enter it.");
}
