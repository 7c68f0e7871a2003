using System.Net;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace FlexWhere.Notifier.Providers.Twilio;

/// <summary>
/// The first resilience layer, around every HTTP call the Twilio SDK makes (outermost first):
/// <list type="number">
/// <item>retry with exponential back-off and jitter, on transient failures only: 429 (waiting out
///   Retry-After, capped), 408, 5xx, Twilio's transient error codes, connection errors and attempt
///   timeouts. Permanent refusals (21211 invalid number, 21610 unsubscribed, 21408 region not
///   permitted, any other 4xx) are never retried. A send (POST) whose outcome is unknown (the attempt
///   timed out, or the connection broke after the request went out) is not retried here either: Twilio
///   may have accepted it, and sending again would text the code twice. It fails the message's
///   delivery, whose next try looks the message up at Twilio first (<c>SendSmsConsumer</c>);</item>
/// <item>a circuit breaker, so a Twilio outage fails sends fast instead of piling attempts on it;</item>
/// <item>the provider's rate (messages per second), counted across every replica in Redis (<see cref="SharedSendRate"/>),
///   which makes sends wait for their turn rather than failing them; it sits inside the retry because every retry is
///   another message to Twilio;</item>
/// <item>a per-attempt timeout, so a hung connection costs one attempt, not the message.</item>
/// </list>
/// The second layer is MassTransit's retry of the whole message (<c>SendSmsConsumerDefinition</c>),
/// then the error queue. ServiceDefaults' standard handler is removed from this client, so there is
/// no third, hidden layer multiplying the attempts.
/// </summary>
public static class SmsResiliencePipeline
{
    /// <summary>Twilio codes that mean "try again later": too many requests, internal error, unavailable.</summary>
    public static readonly IReadOnlySet<int> TransientTwilioCodes = new HashSet<int> { 20429, 20500, 20503 };

    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, SmsResilienceOptions options,
        TimeProvider timeProvider, RateLimiter sendRate)
    {
        pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = Math.Max(options.MaxRetryAttempts, 1),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.BaseDelay,
            // Back-off waits no longer than a Retry-After may, so the claim's TTL can be checked at start.
            MaxDelay = options.MaxRetryAfter,
            ShouldRetryAfterHeader = false,
            ShouldHandle = args => options.MaxRetryAttempts == 0
                ? ValueTask.FromResult(false)
                : ShouldRetryAsync(args.Outcome, args.Context),
            DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, options.MaxRetryAfter, timeProvider)),
        });

        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerMinimumThroughput,
            SamplingDuration = options.BreakerSamplingDuration,
            BreakDuration = options.BreakDuration,
            ShouldHandle = args => IsTransientAsync(args.Outcome),
        });

        pipeline.AddRateLimiter(sendRate);

        pipeline.AddTimeout(options.AttemptTimeout);
    }

    /// <summary>Transient, and safe to send again: a lookup (GET) always is; a send only when Twilio answered,
    /// or when the request never left (no connection).</summary>
    public static ValueTask<bool> ShouldRetryAsync(Outcome<HttpResponseMessage> outcome, ResilienceContext context)
    {
        if (outcome.Exception is { } failure && context.GetRequestMessage()?.Method != HttpMethod.Get && !NeverSent(failure))
        {
            return ValueTask.FromResult(false);
        }

        return IsTransientAsync(outcome);
    }

    private static bool NeverSent(Exception failure) => failure is HttpRequestException
    {
        HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
            or HttpRequestError.SecureConnectionError,
    };

    public static async ValueTask<bool> IsTransientAsync(Outcome<HttpResponseMessage> outcome)
    {
        if (HttpClientResiliencePredicates.IsTransient(outcome)) return true;
        if (outcome.Result is not { } response || response.IsSuccessStatusCode) return false;
        if ((int)response.StatusCode is < 400 or >= 500) return false;

        // A 4xx is permanent unless Twilio's own code says otherwise.
        return await ReadTwilioCodeAsync(response) is { } code && TransientTwilioCodes.Contains(code);
    }

    /// <summary>The <c>code</c> member of Twilio's error body, or null. The body is buffered so the SDK can still read it.</summary>
    public static async ValueTask<int?> ReadTwilioCodeAsync(HttpResponseMessage response)
    {
        try
        {
            await response.Content.LoadIntoBufferAsync();
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return document.RootElement.TryGetProperty("code", out var code) && code.TryGetInt32(out var value) ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The wait Retry-After asks for (seconds or a date), capped; null lets the back-off decide.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan cap, TimeProvider timeProvider)
    {
        var header = response?.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - timeProvider.GetUtcNow() : null);
        if (wait is not { } value) return null;
        if (value < TimeSpan.Zero) return TimeSpan.Zero;
        return value > cap ? cap : value;
    }
}
