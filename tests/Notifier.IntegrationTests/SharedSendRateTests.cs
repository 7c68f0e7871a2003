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
        // Four a second for both replicas: the twenty sends span about 4.75 s, and any nine consecutive ones about 2 s.
        // Counted per replica, each would send four a second: 2.4 s and 1 s. The bounds leave room for a busy machine,
        // where a send that waited for its turn may reach the provider a moment late, next to the one after it.
        var whole = times[^1] - times[0];
        Assert.True(whole >= TimeSpan.FromSeconds(4), $"{times.Count} sends went out within {whole.TotalMilliseconds:0} ms: " +
            $"more than {MessagesPerSecond} a second.");
        const int window = 2 * MessagesPerSecond;
        for (var i = 0; i + window < times.Count; i++)
        {
            var span = times[i + window] - times[i];
            Assert.True(span >= TimeSpan.FromSeconds(1.5),
                $"Sends {i} to {i + window} went out within {span.TotalMilliseconds:0} ms: more than {MessagesPerSecond} a second.");
        }
    }
}
