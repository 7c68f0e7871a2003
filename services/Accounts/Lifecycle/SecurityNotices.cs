namespace FlexWhere.Accounts.Lifecycle;

/// <summary>
/// E-mails a user when something changed on their account that they should know of: a new device, a changed
/// number (texted to the old number too), a new way to sign in, a used recovery code, an MFA reset, a lock. Added to the caller's unit of work
/// (the outbox), so the notice goes out with the change it tells of, or not at all. A notice names a device, a
/// masked number or a time: never a code, a token or a full number.
/// </summary>
public sealed class SecurityNotices(AccountsDbContext db, Outbox outbox, TimeProvider time, IOptions<AccountLinkOptions> links)
{
    /// <summary>How long a notice may wait for RabbitMQ before it is too old to be worth sending.</summary>
    private static readonly TimeSpan Freshness = TimeSpan.FromDays(2);

    /// <param name="details">What the notice names (a device, a masked number, a time), written in the reader's language.</param>
    public async Task AddAsync(User user, string templateId, Func<string, string>? details, CancellationToken cancellationToken)
    {
        var organisation = user.Organisation
            ?? await db.Organisations.SingleAsync(o => o.Id == user.OrganisationId, cancellationToken);
        var now = time.GetUtcNow();
        var locale = User.LocaleFor(user, organisation);
        outbox.Add(db, new SendEmail
        {
            MessageId = Guid.CreateVersion7(now),
            To = user.Email,
            MaskedTo = EmailAddresses.Mask(user.Email),
            TemplateId = templateId,
            Locale = locale,
            RecipientName = user.DisplayName,
            OrganisationName = organisation.Name,
            Link = links.Value.PublicBaseUrl.TrimEnd('/') + "/",
            ExpiresAt = now + Freshness,
            Details = details?.Invoke(locale),
        }, now);
    }

    /// <summary>Texts the number that no longer gets the user's codes that it was replaced (or removed): if it was not the user,
    /// the phone they still hold hears of it. Through the outbox too, so only a change that was saved is told.</summary>
    public async Task TextOldNumberAsync(User user, string oldNumber, CancellationToken cancellationToken)
    {
        var organisation = user.Organisation
            ?? await db.Organisations.SingleAsync(o => o.Id == user.OrganisationId, cancellationToken);
        var now = time.GetUtcNow();
        outbox.AddSmsNotice(db, user.OrganisationId, user.Id, oldNumber, NoticeKinds.PhoneChanged, now, User.LocaleFor(user, organisation),
            now);
    }
}
