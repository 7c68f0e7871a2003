namespace FlexWhere.Contracts;

// Messages between Challenges (publisher of SendSms) and the Notifier (the only sender of SMS).
// There is no free-text SMS in the suite: a message names a template, never a body.

/// <summary>Send one SMS from a template: a one-time code, or a notice. Exactly one SMS per <see cref="MessageId"/>.</summary>
public sealed record SendSms
{
    public required Guid MessageId { get; init; }
    /// <summary>The challenge the code belongs to; for a notice a fresh id of its own (<c>notice-…</c>).</summary>
    public required string ChallengeId { get; init; }

    /// <summary>E.164, for the provider only; logs use <see cref="MaskedDestination"/>.</summary>
    public required string Destination { get; init; }
    public required string MaskedDestination { get; init; }
    public required string TemplateId { get; init; }
    public required string Locale { get; init; }

    /// <summary>The value the template fills in: the one-time code, or a notice's date. The Notifier
    /// also looks for it among the provider's recent messages after a lost attempt.</summary>
    public required string Code { get; init; }

    /// <summary>After this the code is useless, so the SMS is dropped rather than sent.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>When set, the SMS ends with the one-time-code autofill line <c>@domain #code</c>
    /// (see <see cref="SmsTemplates"/>).</summary>
    public string? AutofillDomain { get; init; }
}

/// <summary>The provider accepted the message.</summary>
public sealed record SmsSent
{
    public required Guid MessageId { get; init; }
    public required string ChallengeId { get; init; }
    public required string ProviderMessageId { get; init; }
    public required DateTimeOffset SentAt { get; init; }
}

/// <summary>The provider reported the message delivered to the handset.</summary>
public sealed record SmsDelivered
{
    public required string ChallengeId { get; init; }
    public required string ProviderMessageId { get; init; }
    public required DateTimeOffset DeliveredAt { get; init; }
}

/// <summary>The message was not sent or not delivered; <see cref="Reason"/> says why, without the number or the code.</summary>
public sealed record SmsFailed
{
    public Guid? MessageId { get; init; }
    public required string ChallengeId { get; init; }
    public string? ProviderMessageId { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset FailedAt { get; init; }
}
