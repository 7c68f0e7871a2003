using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlexWhere.Contracts;
using FlexWhere.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace FlexWhere.Challenges.IntegrationTests;

[Collection(ServersCollection.Name)]
public class DeliveryTests(RedisServer redis, RabbitMqServer rabbitMq)
{
    private static async Task<JsonElement> WaitForDeliveryAsync(ChallengesApp app, string challengeId, string state)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        JsonElement status;
        do
        {
            status = await app.StatusAsync(challengeId);
            if (status.GetProperty("delivery").GetProperty("state").GetString() == state) return status;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < until);

        Assert.Fail($"delivery never became {state}: {status}");
        return status;
    }

    [Fact]
    public async Task Status_follows_the_notifiers_delivery_reports()
    {
        using var app = new ChallengesApp(redis, rabbitMq);
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var created = await app.CreateOkAsync(ChallengeRequest.Fresh());
        var sent = await sms.WaitForChallengeAsync(created.ChallengeId);
        var bus = app.Services.GetRequiredService<IBus>();

        var queued = await app.StatusAsync(created.ChallengeId);
        Assert.Equal("queued", queued.GetProperty("delivery").GetProperty("state").GetString());
        Assert.Equal("pending", queued.GetProperty("status").GetString());
        Assert.Equal(5, queued.GetProperty("attemptsLeft").GetInt32());
        Assert.Equal(created.ExpiresAt, queued.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal(created.MaskedDestination, queued.GetProperty("maskedDestination").GetString());

        await bus.Publish(new SmsSent { MessageId = sent.MessageId, ChallengeId = sent.ChallengeId, ProviderMessageId = "SM1",
            SentAt = app.Time.GetUtcNow() });
        await WaitForDeliveryAsync(app, created.ChallengeId, "sent");

        var deliveredAt = app.Time.GetUtcNow().AddSeconds(3);
        await bus.Publish(new SmsDelivered { ChallengeId = sent.ChallengeId, ProviderMessageId = "SM1", DeliveredAt = deliveredAt });
        var delivered = await WaitForDeliveryAsync(app, created.ChallengeId, "delivered");
        Assert.Equal(deliveredAt, delivered.GetProperty("delivery").GetProperty("at").GetDateTimeOffset());

        // A late 'sent' does not undo 'delivered'.
        await bus.Publish(new SmsSent { MessageId = sent.MessageId, ChallengeId = sent.ChallengeId, ProviderMessageId = "SM1",
            SentAt = app.Time.GetUtcNow() });
        await Task.Delay(1000);
        Assert.Equal("delivered", (await app.StatusAsync(created.ChallengeId)).GetProperty("delivery").GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_failed_sms_shows_in_the_status_and_does_not_use_up_the_resend_quota()
    {
        using var app = new ChallengesApp(redis, rabbitMq, ("Challenges:Limits:SendsPerDestination", "1"));
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var created = await app.CreateOkAsync(ChallengeRequest.Fresh());
        var sent = await sms.WaitForChallengeAsync(created.ChallengeId);

        await app.Services.GetRequiredService<IBus>().Publish(new SmsFailed
        {
            MessageId = sent.MessageId, ChallengeId = sent.ChallengeId, Reason = "undeliverable", FailedAt = app.Time.GetUtcNow(),
        });
        var failed = await WaitForDeliveryAsync(app, created.ChallengeId, "failed");
        Assert.Equal("undeliverable", failed.GetProperty("delivery").GetProperty("reason").GetString());

        // No cooldown and no send taken from the number's cap of one: the user can resend as soon as the
        // status says "failed": the send is given back before the failure is recorded, so no resend can come
        // between them and meet the cap.
        using var resent = await app.ResendAsync(created.ChallengeId);
        Assert.Equal(HttpStatusCode.OK, resent.StatusCode);
        var second = await sms.WaitForAsync(s => s.ChallengeId == created.ChallengeId && s.MessageId != sent.MessageId);
        Assert.Equal("queued", (await app.StatusAsync(created.ChallengeId)).GetProperty("delivery").GetProperty("state").GetString());
        using var verified = await app.VerifyAsync(created.ChallengeId, second.Code);
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
    }

    [Fact]
    public async Task A_report_for_an_earlier_send_does_not_change_the_status_of_the_current_one()
    {
        using var app = new ChallengesApp(redis, rabbitMq);
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var created = await app.CreateOkAsync(ChallengeRequest.Fresh());
        var first = await sms.WaitForChallengeAsync(created.ChallengeId);
        app.Time.Advance(TimeSpan.FromSeconds(30));
        using (var resent = await app.ResendAsync(created.ChallengeId)) Assert.Equal(HttpStatusCode.OK, resent.StatusCode);
        var second = await sms.WaitForAsync(s => s.ChallengeId == created.ChallengeId && s.MessageId != first.MessageId);
        var bus = app.Services.GetRequiredService<IBus>();

        await bus.Publish(new SmsFailed { MessageId = first.MessageId, ChallengeId = created.ChallengeId, Reason = "undeliverable",
            FailedAt = app.Time.GetUtcNow() });
        await bus.Publish(new SmsSent { MessageId = second.MessageId, ChallengeId = created.ChallengeId, ProviderMessageId = "SM2",
            SentAt = app.Time.GetUtcNow() });

        await WaitForDeliveryAsync(app, created.ChallengeId, "sent");
        await Task.Delay(500);
        Assert.Equal("sent", (await app.StatusAsync(created.ChallengeId)).GetProperty("delivery").GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_resend_sends_a_new_code_after_the_cooldown()
    {
        using var app = new ChallengesApp(redis, rabbitMq);
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var created = await app.CreateOkAsync(ChallengeRequest.Fresh());
        var first = await sms.WaitForChallengeAsync(created.ChallengeId);

        using (var tooSoon = await app.ResendAsync(created.ChallengeId))
            await tooSoon.AssertProblemAsync(HttpStatusCode.TooManyRequests, "resend_too_soon");
        app.Time.Advance(TimeSpan.FromSeconds(30));
        using var resent = await app.ResendAsync(created.ChallengeId);

        Assert.Equal(HttpStatusCode.OK, resent.StatusCode);
        await sms.WaitForAsync(s => s.ChallengeId == created.ChallengeId && s.MessageId != first.MessageId);
    }

    [Fact]
    public async Task Status_of_an_unknown_challenge_is_a_not_found_problem()
    {
        using var app = new ChallengesApp(redis, rabbitMq);

        using var response = await app.Internal.GetAsync("/internal/challenges/AAAAAAAAAAAAAAAAAAAAAA");

        await response.AssertProblemAsync(HttpStatusCode.NotFound, "challenge_not_found");
    }
}
