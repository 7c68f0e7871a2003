using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using FlexWhere.Messaging;
using FlexWhere.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace FlexWhere.Challenges.IntegrationTests;

/// <summary>
/// A broker lost while Challenges runs: its connection goes through a relay that can cut it and leave new ones unanswered.
/// A publish waiting for the connection to be made again goes out when it is; one whose broker turns out to be gone is answered
/// as soon as that is known, not after the publish timeout (30 s here, as in the stack R4 runs).
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class BrokerLossTests(RedisServer redis, RabbitMqServer rabbitMq)
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_code_asked_for_while_the_connection_is_made_again_goes_out_once_it_is_back()
    {
        await using var relay = AmqpRelay.Start(rabbitMq.ConnectionString);
        using var app = Through(relay);
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var bus = app.Services.GetRequiredService<IBusControl>();

        relay.DropConnections();
        Assert.True(SpinWait.SpinUntil(() => bus.CheckHealth().Status != BusHealthStatus.Healthy, TimeSpan.FromSeconds(10)),
            "The bus did not notice its lost connection.");
        var created = await app.CreateOkAsync(ChallengeRequest.Fresh());

        await sms.WaitForChallengeAsync(created.ChallengeId);
    }

    [Fact]
    public async Task A_code_and_a_notice_waiting_for_a_lost_connection_are_refused_once_connecting_again_fails_not_after_the_timeout()
    {
        await using var relay = AmqpRelay.Start(rabbitMq.ConnectionString);
        using var app = Through(relay);
        var bus = app.Services.GetRequiredService<IBusControl>();
        var broker = app.Services.GetRequiredService<BrokerReachability>();

        // The connection is lost, and trying again meets a host that does not answer for 4 s: the bus knows the broker is gone
        // only then. The requests are made in between, so they wait for the connection.
        relay.SilenceNewConnections(TimeSpan.FromSeconds(4));
        relay.DropConnections();
        Assert.True(SpinWait.SpinUntil(() => bus.CheckHealth().Status != BusHealthStatus.Healthy, TimeSpan.FromSeconds(10)),
            "The bus did not notice its lost connection.");
        Assert.False(broker.KnownUnreachable, "The broker was known unreachable before the requests: the test would prove nothing.");
        var clock = Stopwatch.StartNew();
        var code = app.CreateAsync(ChallengeRequest.Fresh());
        var notice = app.Internal.PostAsJsonAsync("/internal/notices", new
        {
            OrganisationId = Guid.NewGuid(), UserId = Guid.NewGuid(), To = ChallengeRequest.NewDutchMobile(),
            Kind = "phone_change_scheduled", EffectiveAt = new DateTimeOffset(2026, 12, 5, 11, 30, 0, TimeSpan.FromHours(1)), Locale = "en",
        });
        using var codeAnswer = await code;
        using var noticeAnswer = await notice;
        clock.Stop();

        await codeAnswer.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "sms_not_sent");
        await noticeAnswer.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "sms_not_sent");
        Assert.True(broker.KnownUnreachable);
        // Without giving up on the failed reconnection each would wait out its 30 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"The answers took {clock.Elapsed.TotalSeconds:0.0} s.");

        // Once the broker answers again, codes go out again.
        relay.SilenceNewConnections(TimeSpan.Zero);
        Assert.True(SpinWait.SpinUntil(() => !broker.KnownUnreachable, TimeSpan.FromSeconds(60)),
            "The bus did not connect again within a minute.");
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var created = await app.CreateOkAsync(ChallengeRequest.Fresh());
        await sms.WaitForChallengeAsync(created.ChallengeId);
    }

    private ChallengesApp Through(AmqpRelay relay) =>
        ChallengesApp.Through(redis, relay.ConnectionString, ("Challenges:PublishTimeout", PublishTimeout.ToString("c")));
}
