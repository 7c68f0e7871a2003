using System.Net;
using System.Net.Http.Json;
using FlexWhere.Contracts;
using FlexWhere.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FlexWhere.Challenges.IntegrationTests;

[Collection(ServersCollection.Name)]
public sealed class SendingTests(RedisServer redis, RabbitMqServer rabbitMq)
{
    [Fact]
    public async Task Create_publishes_SendSms_with_the_code_template_and_both_forms_of_the_number()
    {
        using var app = new ChallengesApp(redis, rabbitMq, ("Challenges:AutofillDomain", "app.flexwhere.com"));
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var request = ChallengeRequest.Fresh() with { Destination = "+31612345678", Locale = "nl", UserId = Guid.NewGuid() };

        var created = await app.CreateOkAsync(request);
        var sent = await sms.WaitForChallengeAsync(created.ChallengeId);

        Assert.Equal(22, created.ChallengeId.Length);
        Assert.Equal("+31 6 •••• ••78", created.MaskedDestination);
        Assert.Equal(app.Time.GetUtcNow() + TimeSpan.FromMinutes(5), created.ExpiresAt);
        Assert.Equal(app.Time.GetUtcNow() + TimeSpan.FromSeconds(30), created.ResendAfter);
        Assert.NotEqual(Guid.Empty, sent.MessageId);
        Assert.Equal("+31612345678", sent.Destination);
        Assert.Equal("+31 6 •••• ••78", sent.MaskedDestination);
        Assert.Equal(SmsTemplates.OneTimeCode, sent.TemplateId);
        Assert.Equal("nl", sent.Locale);
        Assert.Matches("^[0-9]{6}$", sent.Code);
        Assert.Equal(created.ExpiresAt, sent.ExpiresAt);
        Assert.Equal("app.flexwhere.com", sent.AutofillDomain);
        Assert.Equal(
            $"Je FlexWhere-code is {sent.Code}. Deze verloopt over 5 minuten.\n\n@app.flexwhere.com #{sent.Code}",
            SmsTemplates.Render(sent.TemplateId, sent.Locale, sent.Code, SmsTemplates.MinutesLeft(sent.ExpiresAt, app.Time.GetUtcNow()),
                sent.AutofillDomain));
    }

    [Theory]
    [InlineData("0612345678")]
    [InlineData("+3161234")]
    [InlineData("not a number")]
    public async Task Create_rejects_a_destination_that_is_not_a_valid_E164_number(string destination)
    {
        using var app = new ChallengesApp(redis, rabbitMq);

        using var response = await app.CreateAsync(ChallengeRequest.Fresh() with { Destination = destination });

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True((await response.ReadProblemAsync()).GetProperty("errors").TryGetProperty("destination", out _));
    }

    [Theory]
    [InlineData("not json", "body")]
    [InlineData("{\"organisationId\": 42}", "organisationId")]
    public async Task A_body_that_does_not_bind_is_a_validation_problem_naming_the_field(string body, string field)
    {
        using var app = new ChallengesApp(redis, rabbitMq);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await app.Internal.PostAsync("/internal/challenges", content);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True((await response.ReadProblemAsync()).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Create_tells_the_caller_the_code_was_not_sent_when_the_broker_is_down_and_leaves_no_usable_code()
    {
        using var app = ChallengesApp.WithBrokerDown(redis);
        var request = ChallengeRequest.Fresh();

        using var response = await app.CreateAsync(request);

        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "sms_not_sent");
        var dump = await RedisDump.AllAsync(redis.ConnectionString);
        Assert.DoesNotContain(dump, entry => entry.Values.Contains(request.UserId.ToString()));
        // The unsent SMS took no send from the number: five more may follow.
        var limiterKeys = app.Services.GetRequiredService<RedisKeys>();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        Assert.Equal(0, await connection.GetDatabase().SortedSetLengthAsync(limiterKeys.DestinationSends(request.Destination)));
    }

    [Fact]
    public async Task Once_the_bus_knows_its_broker_is_unreachable_codes_and_notices_are_refused_at_once_not_after_the_publish_timeout()
    {
        var publishTimeout = TimeSpan.FromSeconds(30);
        using var app = ChallengesApp.WithBrokerDown(redis, publishTimeout);
        var broker = app.Services.GetRequiredService<FlexWhere.Messaging.BrokerReachability>();
        Assert.True(SpinWait.SpinUntil(() => broker.KnownUnreachable, TimeSpan.FromSeconds(30)),
            "The bus did not find its broker unreachable within 30 s.");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var code = await app.CreateAsync(ChallengeRequest.Fresh());
        using var notice = await app.Internal.PostAsJsonAsync("/internal/notices", new
        {
            OrganisationId = Guid.NewGuid(), UserId = Guid.NewGuid(), To = ChallengeRequest.NewDutchMobile(),
            Kind = "phone_change_scheduled", EffectiveAt = new DateTimeOffset(2026, 12, 5, 11, 30, 0, TimeSpan.FromHours(1)), Locale = "en",
        });
        clock.Stop();

        await code.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "sms_not_sent");
        await notice.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "sms_not_sent");
        // Without the check each would wait out its 30 s for a broker that is known to be gone.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"Both answers took {clock.Elapsed.TotalSeconds:0.0} s.");
    }

    [Fact]
    public async Task Create_fails_closed_with_a_problem_and_publishes_nothing_when_redis_is_down()
    {
        using var app = ChallengesApp.WithRedisDown(rabbitMq);
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var request = ChallengeRequest.Fresh();

        using var response = await app.CreateAsync(request);

        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "challenges_unavailable");
        Assert.Empty(await sms.SettledAsync(s => s.Destination == request.Destination));
    }
}

[Collection(ServersCollection.Name)]
public sealed class ResendFailureTests(RedisServer redis, RabbitMqServer rabbitMq)
{
    [Fact]
    public async Task A_resend_the_broker_does_not_take_leaves_no_usable_code_and_can_be_retried_at_once()
    {
        using var app = new ChallengesApp(redis, rabbitMq);
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var created = await app.CreateOkAsync(ChallengeRequest.Fresh());
        var first = await sms.WaitForChallengeAsync(created.ChallengeId);
        // A second replica, same Redis, whose broker is gone.
        using var cutOff = ChallengesApp.WithBrokerDown(redis);
        cutOff.Time.Advance(TimeSpan.FromSeconds(30));

        using var failed = await cutOff.ResendAsync(created.ChallengeId);

        await failed.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "sms_not_sent");
        using (var old = await app.VerifyAsync(created.ChallengeId, first.Code))
            await old.AssertProblemAsync(HttpStatusCode.Conflict, "code_not_sent");
        var status = await app.StatusAsync(created.ChallengeId);
        Assert.Equal("not_sent", status.GetProperty("delivery").GetProperty("state").GetString());

        app.Time.Advance(TimeSpan.FromSeconds(30));
        using var retried = await app.ResendAsync(created.ChallengeId);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        var second = await sms.WaitForAsync(s => s.ChallengeId == created.ChallengeId && s.MessageId != first.MessageId);
        using var verified = await app.VerifyAsync(created.ChallengeId, second.Code);
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
    }
}
