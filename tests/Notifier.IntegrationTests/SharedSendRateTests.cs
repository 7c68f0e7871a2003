using FlexWhere.Notifier.Providers;
using FlexWhere.Testing;
using FlexWhere.Testing.Twilio;
using Microsoft.Extensions.DependencyInjection;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>The provider's rate is the number's, not each replica's: two Notifiers on one Redis share it.</summary>
[Collection(ServersCollection.Name)]
public sealed class SharedSendRateTests(RabbitMqServer rabbitMq, RedisServer redis) : IAsyncLifetime
{
    private const int MessagesPerSecond = 4;
    private const int SendsPerReplica = 10;

    private readonly ScriptedReplies _replies = new();
    private FakeTwilio _twilio = null!;

    public async Task InitializeAsync()
    {
        await SharedQueues.AssertNobodyConsumesAsync(rabbitMq);
        _twilio = await FakeTwilio.StartAsync(_replies);
    }

    public async Task DisposeAsync() => await _twilio.DisposeAsync();

    [Fact]
    public async Task Two_replicas_together_send_no_faster_than_the_providers_rate()
    {
        var settings = NotifierHost.TwilioSettings(_twilio.BaseUrl);
        settings["Notifier:SmsResilience:MessagesPerSecond"] = MessagesPerSecond.ToString();
        // Twenty sends at four a second queue for five seconds: every one of them waits for its turn.
        settings["Notifier:SmsResilience:MaxRateWait"] = "00:00:08";
        settings["Notifier:Sending:ClaimTtl"] = "00:01:00";
        // A number of this test's own: the rate is counted per sender, so no other test's sends share it.
        settings["Twilio:From"] = "+3197010" + Random.Shared.Next(100000, 999999);
        var servers = new ServerAddresses(rabbitMq.ConnectionString, redis.ConnectionString);
        await using var first = await NotifierHost.StartAsync(servers, settings);
        await using var second = await NotifierHost.StartAsync(servers, settings);

        var sends = new[] { first, second }.SelectMany(replica => Enumerable.Range(0, SendsPerReplica).Select(_ =>
        {
            var message = NotifierHost.NewSendSms();
            return replica.Services.GetRequiredService<ISmsProvider>().SendAsync(new OutgoingSms(message.MessageId, message.ChallengeId,
                message.Destination, message.MaskedDestination, "Your FlexWhere code is 493817."), CancellationToken.None);
        })).ToList();
        await Task.WhenAll(sends);

        Assert.Equal(2 * SendsPerReplica, _twilio.Calls);
        var times = _twilio.Requests.Select(request => request.ReceivedAt).Order().ToList();
        // At most four in any second: any five consecutive sends span a second (less what the network adds to one
        // and not the other). Counted per replica, each would send four a second and they would span half that.
        for (var i = 0; i + MessagesPerSecond < times.Count; i++)
        {
            var span = times[i + MessagesPerSecond] - times[i];
            Assert.True(span >= TimeSpan.FromSeconds(0.9),
                $"Sends {i} to {i + MessagesPerSecond} went out within {span.TotalMilliseconds:0} ms: more than {MessagesPerSecond} a second.");
        }
    }
}
