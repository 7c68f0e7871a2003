using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FlexWhere.Notifier.Sending;
using FlexWhere.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>Twilio's delivery reports, posted to the service over HTTP and turned into events on the real bus.</summary>
[Collection(ServersCollection.Name)]
public class StatusCallbackTests(RabbitMqServer rabbitMq, RedisServer redis) : IAsyncLifetime
{
    private const string Path = "/api/notifier/twilio/status";

    public Task InitializeAsync() => SharedQueues.AssertNobodyConsumesAsync(rabbitMq);

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<NotifierApp> StartNotifierAsync(string? rabbitMqConnectionString = null) => NotifierApp.StartAsync(
        [("ConnectionStrings:rabbitmq", rabbitMqConnectionString ?? rabbitMq.ConnectionString), ("ConnectionStrings:redis",
            redis.ConnectionString),
         // Quick to give up where the broker is away (the 503 tests); room for a busy machine's confirms where it is up.
         ("Notifier:Sending:PublishTimeout", rabbitMqConnectionString is null ? "00:00:10" : "00:00:01"),
         .. NotifierHost.TwilioSettings(new Uri("http://127.0.0.1:9")).Select(pair => (pair.Key, pair.Value))],
        brokerReachable: rabbitMqConnectionString is null);

    [Fact]
    public async Task A_signed_delivered_report_publishes_SmsDelivered_for_the_challenge()
    {
        await using var notifier = await StartNotifierAsync();
        var client = notifier.Client;
        await using var challenges = await EventListener.StartAsync(rabbitMq.ConnectionString);
        var (providerMessageId, challengeId) = await RememberSentMessageAsync(notifier);

        using var response = await client.SendAsync(Signed(new() { ["MessageSid"] = providerMessageId, ["MessageStatus"] = "delivered",
            ["AccountSid"] = NotifierHost.AccountSid }));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await NotifierHost.EventuallyAsync(() => challenges.Delivered.Any(delivered => delivered.ProviderMessageId == providerMessageId),
            "No SmsDelivered was published.");
        Assert.Equal(challengeId, challenges.Delivered.Single(delivered => delivered.ProviderMessageId == providerMessageId).ChallengeId);
    }

    [Theory]
    [InlineData("undelivered", "30003", "twilio_30003")]
    [InlineData("failed", "", "twilio_failed")]
    public async Task A_signed_failure_report_publishes_SmsFailed_with_the_reason(string status, string errorCode, string reason)
    {
        await using var notifier = await StartNotifierAsync();
        var client = notifier.Client;
        await using var challenges = await EventListener.StartAsync(rabbitMq.ConnectionString);
        var (providerMessageId, challengeId) = await RememberSentMessageAsync(notifier);

        using var response = await client.SendAsync(Signed(new() { ["MessageSid"] = providerMessageId, ["MessageStatus"] = status,
            ["ErrorCode"] = errorCode }));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await NotifierHost.EventuallyAsync(() => challenges.Failed.Any(failed => failed.ProviderMessageId == providerMessageId),
            "No SmsFailed was published.");
        var failed = challenges.Failed.Single(failed => failed.ProviderMessageId == providerMessageId);
        Assert.Equal(challengeId, failed.ChallengeId);
        Assert.Equal(reason, failed.Reason);
    }

    [Fact]
    public async Task An_unsigned_report_is_refused_with_403_and_publishes_nothing()
    {
        await using var notifier = await StartNotifierAsync();
        var client = notifier.Client;
        await using var challenges = await EventListener.StartAsync(rabbitMq.ConnectionString);
        var (providerMessageId, _) = await RememberSentMessageAsync(notifier);
        var request = new HttpRequestMessage(HttpMethod.Post, Path)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["MessageSid"] = providerMessageId,
                ["MessageStatus"] = "delivered" }),
        };

        using var response = await client.SendAsync(request);

        await AssertForbiddenAsync(response, "twilio_signature_missing");
        await Task.Delay(500);
        Assert.Empty(challenges.Delivered);
    }

    [Fact]
    public async Task A_report_signed_with_another_token_or_tampered_with_is_refused_with_403()
    {
        await using var notifier = await StartNotifierAsync();
        var client = notifier.Client;
        var (providerMessageId, _) = await RememberSentMessageAsync(notifier);

        using var wrongToken = await client.SendAsync(Signed(new() { ["MessageSid"] = providerMessageId, ["MessageStatus"] = "delivered" },
            authToken: "someone-elses-token"));
        var tampered = Signed(new() { ["MessageSid"] = providerMessageId, ["MessageStatus"] = "failed" });
        tampered.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["MessageSid"] = providerMessageId,
            ["MessageStatus"] = "delivered" });
        using var tamperedResponse = await client.SendAsync(tampered);

        await AssertForbiddenAsync(wrongToken, "twilio_signature_invalid");
        await AssertForbiddenAsync(tamperedResponse, "twilio_signature_invalid");
    }

    [Fact]
    public async Task A_report_that_cannot_be_passed_on_answers_503_with_its_code_and_Retry_After()
    {
        // No broker listens here: the report cannot be published, and Twilio is asked to send it again later.
        await using var notifier = await StartNotifierAsync($"amqp://guest:guest@127.0.0.1:{HealthProbe.ClosedPort()}/");
        var client = notifier.Client;
        var (providerMessageId, _) = await RememberSentMessageAsync(notifier);

        using var response = await client.SendAsync(Signed(new() { ["MessageSid"] = providerMessageId, ["MessageStatus"] = "delivered" }));

        var problem = await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "report_not_queued");
        Assert.Equal(TimeSpan.FromSeconds(30), response.Headers.RetryAfter?.Delta);
        Assert.Equal(30, problem.GetProperty("retryAfterSeconds").GetInt64());
    }

    public static TheoryData<string, string, HttpStatusCode, string> Refusals => new()
    {
        { "GET", "/api/notifier/no-such-route", HttpStatusCode.NotFound, "not_found" },
        { "GET", Path, HttpStatusCode.MethodNotAllowed, "method_not_allowed" },
        { "POST", Path, HttpStatusCode.Forbidden, "twilio_signature_missing" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Every_refusal_of_the_notifier_carries_a_code_and_a_trace_id(string method, string path, HttpStatusCode status,
        string code)
    {
        await using var notifier = await StartNotifierAsync();
        using var response = await notifier.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        var problem = await AssertProblemAsync(response, status, code);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("traceId").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
    }

    /// <summary>What the consumer writes after Twilio accepted a message.</summary>
    private static async Task<(string ProviderMessageId, string ChallengeId)> RememberSentMessageAsync(NotifierApp notifier)
    {
        var providerMessageId = $"SM{Guid.NewGuid():N}";
        var challengeId = $"ch_{Guid.NewGuid():N}";
        var idempotency = notifier.Services.GetRequiredService<SmsIdempotency>();
        var messageId = Guid.NewGuid();
        var claim = await idempotency.ClaimAsync(messageId);
        await idempotency.MarkSentAsync(messageId, claim.Token!, providerMessageId, challengeId);
        var ttl = await notifier.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase()
            .KeyTimeToLiveAsync(NotifierKeys.ProviderMessage(providerMessageId));
        Assert.NotNull(ttl);
        return (providerMessageId, challengeId);
    }

    /// <summary>Twilio's signature, computed here independently of the SDK: HMAC-SHA1 of the URL
    /// followed by every parameter name and value in name order, keyed with the auth token.</summary>
    private static HttpRequestMessage Signed(Dictionary<string, string> form, string authToken = NotifierHost.AuthToken)
    {
        var data = new StringBuilder(NotifierHost.StatusCallbackUrl);
        foreach (var (key, value) in form.OrderBy(pair => pair.Key, StringComparer.Ordinal)) data.Append(key).Append(value);
        var signature = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken),
            Encoding.UTF8.GetBytes(data.ToString())));
        return new HttpRequestMessage(HttpMethod.Post, Path)
        {
            Content = new FormUrlEncodedContent(form),
            Headers = { { "X-Twilio-Signature", signature } },
        };
    }

    private static async Task AssertForbiddenAsync(HttpResponseMessage response, string code) =>
        await AssertProblemAsync(response, HttpStatusCode.Forbidden, code);

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }
}
