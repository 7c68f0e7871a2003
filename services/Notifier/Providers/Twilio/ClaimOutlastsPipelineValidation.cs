namespace FlexWhere.Notifier.Providers.Twilio;

/// <summary>
/// The claim on a message must outlive the longest run of the provider pipeline, or a second copy of
/// the message could be sent while the first is still waiting for a retry or a rate-limit token.
/// The rate-limit wait is bounded by the messages one replica handles at once.
/// </summary>
public sealed class ClaimOutlastsPipelineValidation(IOptions<SmsResilienceOptions> resilience) : IValidateOptions<SendingOptions>
{
    public ValidateOptionsResult Validate(string? name, SendingOptions options)
    {
        var longestRun = LongestPipelineRun(resilience.Value, options.ConcurrentMessageLimit);
        return options.ClaimTtl > longestRun
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Notifier:Sending:ClaimTtl ({options.ClaimTtl}) must be longer than the provider pipeline can run ({longestRun}): " +
                "raise it, or lower the attempts, timeouts, Retry-After cap or concurrent message limit.");
    }

    public static TimeSpan LongestPipelineRun(SmsResilienceOptions resilience, int concurrentMessageLimit)
    {
        var attempts = resilience.MaxRetryAttempts + 1;
        var waitsBetweenAttempts = resilience.MaxRetryAttempts * resilience.MaxRetryAfter;
        return attempts * resilience.AttemptTimeout + waitsBetweenAttempts + attempts * RateLimitWaitPerAttempt(resilience, concurrentMessageLimit);
    }

    /// <summary>The longest an attempt waits for its turn at the provider's rate (<see cref="SharedSendRate"/>):
    /// <see cref="SmsResilienceOptions.MaxRateWait"/>, by default as long as this replica's own concurrent sends take.</summary>
    public static TimeSpan RateLimitWaitPerAttempt(SmsResilienceOptions resilience, int concurrentMessageLimit) =>
        resilience.MaxRateWait ?? TimeSpan.FromSeconds((double)concurrentMessageLimit / resilience.MessagesPerSecond);
}
