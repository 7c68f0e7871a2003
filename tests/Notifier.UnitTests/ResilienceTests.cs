using System.Net;
using System.Net.Http.Headers;
using System.Text;
using FlexWhere.Notifier.Providers.Twilio;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.CircuitBreaker;
using Twilio.Exceptions;

namespace FlexWhere.Notifier.UnitTests;

public class ResilienceTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);

    [Fact]
    public void Retry_after_in_seconds_is_honoured_up_to_the_cap()
    {
        var time = new FakeTimeProvider();
        using var soon = TooMany(new RetryConditionHeaderValue(TimeSpan.FromSeconds(4)));
        using var late = TooMany(new RetryConditionHeaderValue(TimeSpan.FromMinutes(10)));

        Assert.Equal(TimeSpan.FromSeconds(4), SmsResiliencePipeline.RetryAfter(soon, Cap, time));
        Assert.Equal(Cap, SmsResiliencePipeline.RetryAfter(late, Cap, time));
    }

    [Fact]
    public void Retry_after_as_a_date_is_measured_from_the_time_provider()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero));
        using var response = TooMany(new RetryConditionHeaderValue(time.GetUtcNow().AddSeconds(7)));

        Assert.Equal(TimeSpan.FromSeconds(7), SmsResiliencePipeline.RetryAfter(response, Cap, time));
    }

    [Fact]
    public void Without_retry_after_the_back_off_decides()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);

        Assert.Null(SmsResiliencePipeline.RetryAfter(response, Cap, TimeProvider.System));
    }

    [Theory]
    [InlineData(429, 20429, true)]
    [InlineData(500, 20500, true)]
    [InlineData(503, 20503, true)]
    [InlineData(408, 0, true)]
    [InlineData(400, 21211, false)]
    [InlineData(400, 21610, false)]
    [InlineData(400, 21408, false)]
    [InlineData(400, 20429, true)]
    public async Task Only_transient_answers_are_retried(int status, int code, bool transient)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status)
        {
            Content = new StringContent($"{{\"code\":{code},\"status\":{status}}}", Encoding.UTF8, "application/json"),
        };

        Assert.Equal(transient, await SmsResiliencePipeline.IsTransientAsync(Outcome.FromResult(response)));
        // The SDK reads the body after the pipeline did.
        Assert.Contains($"\"code\":{code}", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(21211, 400, "twilio_21211", true)]
    [InlineData(21610, 400, "twilio_21610", true)]
    [InlineData(21408, 400, "twilio_21408", true)]
    [InlineData(20429, 429, "twilio_20429", false)]
    [InlineData(20500, 500, "twilio_20500", false)]
    [InlineData(20003, 401, "twilio_20003", false)]
    public void Twilio_refusals_are_permanent_only_when_asking_again_cannot_help(int code, int status, string reason, bool permanent)
    {
        var failure = TwilioSmsProvider.Classify(new ApiException(code, status, "refused", "", null, null));

        Assert.Equal(reason, failure.Reason);
        Assert.Equal(permanent, failure.Permanent);
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_server_errors_and_stops_calling_twilio()
    {
        var options = new SmsResilienceOptions
        {
            MaxRetryAttempts = 1,
            BaseDelay = TimeSpan.FromMilliseconds(1),
            BreakerMinimumThroughput = 4,
            BreakerFailureRatio = 0.5,
            BreakDuration = TimeSpan.FromMinutes(1),
            MessagesPerSecond = 1000,
        };
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        // No Redis here: a limiter that never makes a send wait stands in for the shared send rate.
        using var sendRate = new System.Threading.RateLimiting.ConcurrencyLimiter(new() { PermitLimit = 1000, QueueLimit = 0 });
        SmsResiliencePipeline.Configure(builder, options, TimeProvider.System, sendRate);
        var pipeline = builder.Build();
        var calls = 0;

        for (var send = 0; send < 2; send++)
        {
            using var response = await pipeline.ExecuteAsync(_ =>
            {
                Interlocked.Increment(ref calls);
                return ValueTask.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError));
            });
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        }

        await Assert.ThrowsAsync<BrokenCircuitException>(async () => await pipeline.ExecuteAsync(_ =>
        {
            Interlocked.Increment(ref calls);
            return ValueTask.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }));
        Assert.Equal(4, calls);
    }

    private static HttpResponseMessage TooMany(RetryConditionHeaderValue retryAfter) =>
        new(HttpStatusCode.TooManyRequests) { Headers = { RetryAfter = retryAfter } };
}
