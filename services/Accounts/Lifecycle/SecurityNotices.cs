namespace FlexWhere.Accounts.Lifecycle;

/// <summary>
/// E-mails a user when something changed on their account that they should know of: a new device, a changed
/// number, a new way to sign in, a used recovery code, an MFA reset, a lock. Added to the caller's unit of work
/// (the outbox), so the notice goes out with the change it tells of, or not at all. A notice names a device, a
/// masked number or a time: never a code, a token or a full number.
/// </summary>
public sealed class SecurityNotices(AccountsDbContext db, EmailOutbox outbox, TimeProvider time, IOptions<AccountLinkOptions> links)
{
    /// <summary>How long a notice may wait for RabbitMQ before it is too old to be worth sending.</summary>
    private static readonly TimeSpan Freshness = TimeSpan.FromDays(2);

    public async Task AddAsync(User user, string templateId, string? details, CancellationToken cancellationToken)
    {
        var organisation = user.Organisation
            ?? await db.Organisations.SingleAsync(o => o.Id == user.OrganisationId, cancellationToken);
        var now = time.GetUtcNow();
        outbox.Add(db, new SendEmail
        {
            MessageId = Guid.CreateVersion7(now),
            To = user.Email,
            MaskedTo = EmailAddresses.Mask(user.Email),
            TemplateId = templateId,
            Locale = User.LocaleFor(user, organisation),
            RecipientName = user.DisplayName,
            OrganisationName = organisation.Name,
            Link = links.Value.PublicBaseUrl.TrimEnd('/') + "/",
            ExpiresAt = now + Freshness,
            Details = details,
        }, now);
    }

    /// <summary>A time as notices write it: Dutch time, with the zone named.</summary>
    public static string When(DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, EmailTemplates.Netherlands);
        return local.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) + " (Europe/Amsterdam)";
    }
}
