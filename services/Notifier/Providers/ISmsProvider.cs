namespace FlexWhere.Notifier.Providers;

/// <summary>One SMS, already rendered. <see cref="MaskedTo"/> is the only form of the number fit for logs.</summary>
public sealed record OutgoingSms(Guid MessageId, string ChallengeId, string To, string MaskedTo, string Body);

/// <summary>Where SMS go: Twilio, or the development inbox when no Twilio account is configured.</summary>
public interface ISmsProvider
{
    /// <summary>Hands the message to the provider and returns the provider's message id.</summary>
    /// <exception cref="SmsSendException">The provider refused the message or could not be reached.</exception>
    Task<string> SendAsync(OutgoingSms sms, CancellationToken cancellationToken);

    /// <summary>
    /// The provider's id of a message it already accepted for <paramref name="sms"/>'s recipient with
    /// <paramref name="code"/> in its body, or null. Asked only when an earlier attempt's outcome is
    /// unknown (its consumer died while sending), so that the code is not sent twice.
    /// </summary>
    /// <exception cref="SmsSendException">The provider could not be asked; try again later.</exception>
    Task<string?> FindAcceptedAsync(OutgoingSms sms, string code, CancellationToken cancellationToken);
}

/// <summary>
/// A send that did not succeed. <see cref="Permanent"/> failures (invalid number, unsubscribed,
/// region not permitted) are never retried; transient ones go back to MassTransit's retry.
/// The message is a short reason code fit for an <c>SmsFailed</c> event: no number, no code.
/// </summary>
public sealed class SmsSendException(string reason, bool permanent, Exception? inner = null) : Exception(reason, inner)
{
    public string Reason { get; } = reason;
    public bool Permanent { get; } = permanent;
}
