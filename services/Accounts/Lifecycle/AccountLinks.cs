using System.ComponentModel.DataAnnotations;

namespace FlexWhere.Accounts.Lifecycle;

public sealed class AccountLinkOptions
{
    public const string Section = "AccountLinks";

    /// <summary>Where people open the Control Centre: links in e-mails point there (the Gateway's public address).</summary>
    [Required(ErrorMessage = "AccountLinks:PublicBaseUrl is not set: the public address of the Control Centre, for links in e-mails.")]
    [Url(ErrorMessage = "AccountLinks:PublicBaseUrl must be an absolute http(s) URL.")]
    public string PublicBaseUrl { get; set; } = "";

    [SettingRange("01:00:00", "14.00:00:00")]
    public TimeSpan InvitationLifetime { get; set; } = TimeSpan.FromHours(72);

    [SettingRange("00:05:00", "1.00:00:00")]
    public TimeSpan PasswordResetLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Password links e-mailed to one address per hour; more requests get the same answer and no e-mail.</summary>
    [SettingRange(1, 20)]
    public int PasswordResetsPerHour { get; set; } = 3;

    /// <summary>"Forgot password" answers no sooner than this after the request came in, known address or not: the link,
    /// its e-mail and the audit entry written for a known one (a few milliseconds) cannot be told from the time taken.</summary>
    [SettingRange("00:00:00", "00:00:05")]
    public TimeSpan ForgotPasswordAnswerTime { get; set; } = TimeSpan.FromMilliseconds(300);
}

/// <summary>
/// Single-use links e-mailed to a user: an invitation (the first password) or a password reset. The token is
/// in the link only (after <c>#</c>, so it is never sent to a server in a request line or a Referer); Accounts
/// keeps its SHA-256. A new link voids the user's earlier open ones.
/// </summary>
public sealed class AccountLinks(AccountsDbContext db, Outbox outbox, TimeProvider time, IOptions<AccountLinkOptions> options)
{
    /// <summary>Adds the link and its e-mail to the unit of work; the caller saves (one transaction for both).</summary>
    public async Task SendAsync(User user, Organisation organisation, string purpose, Guid? sentBy, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (db.Entry(user).State != EntityState.Added) await VoidOpenLinksAsync(user.Id, now, cancellationToken);
        var token = OpaqueTokens.New();
        var invitation = purpose == AccountLinkPurposes.Invitation;
        var expiresAt = now + (invitation ? options.Value.InvitationLifetime : options.Value.PasswordResetLifetime);
        db.AccountLinks.Add(new AccountLink
        {
            Purpose = purpose,
            TokenHash = OpaqueTokens.Hash(token),
            ExpiresAt = expiresAt,
            SentBy = sentBy,
        }.BelongingTo(user, now));
        outbox.Add(db, new SendEmail
        {
            MessageId = Guid.CreateVersion7(now),
            To = user.Email,
            MaskedTo = EmailAddresses.Mask(user.Email),
            TemplateId = invitation ? EmailTemplates.Invitation : EmailTemplates.PasswordReset,
            Locale = User.LocaleFor(user, organisation),
            RecipientName = user.DisplayName,
            OrganisationName = organisation.Name,
            Link = $"{options.Value.PublicBaseUrl.TrimEnd('/')}/#/password?token={token}",
            ExpiresAt = expiresAt,
        }, now);
    }

    /// <summary>How many password links the user was sent within the last hour.</summary>
    public Task<int> ResetsInLastHourAsync(Guid userId, CancellationToken cancellationToken)
    {
        var since = time.GetUtcNow().AddHours(-1);
        return db.AccountLinks.CountAsync(l => l.UserId == userId && l.Purpose == AccountLinkPurposes.PasswordReset && l.CreatedAt > since,
            cancellationToken);
    }

    public Task VoidOpenLinksAsync(Guid userId, DateTimeOffset now, CancellationToken cancellationToken) =>
        db.AccountLinks.Where(l => l.UserId == userId && l.UsedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(l => l.UsedAt, now), cancellationToken);
}
