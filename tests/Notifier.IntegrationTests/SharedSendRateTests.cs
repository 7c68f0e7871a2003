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
        // The shipped attempt timeout, not the suite's 1 s: a send that a busy machine holds up for a second must still reach
        // the provider, or the test would fail on the timeout instead of checking the rate (a clean-clone run did).
        settings["Notifier:SmsResilience:AttemptTimeout"] = "00:00:10";
        settings["Notifier:Sending:ClaimTtl"] = "00:01:00";
        // A number of this test's own: the rate is counted per sender, so no other test's sends share it.
        settings["Twilio:From"] = "+3197010" + Random.Shared.Next(100000, 999999);
        var servers = new ServerAddresses(rabbitMq.ConnectionString, redis.ConnectionString);
        await using var first = await NotifierHost.StartAsync(servers, settings);
        await using var second = await NotifierHost.StartAsync(servers, settings);

        // One send from each replica first, so the measured ones do not start with the first send's cold path (a run took 0.9 s
        // to its first arrival), which would leave a rate per replica room to pass.
        var replicas = new[] { first, second };
        await Task.WhenAll(replicas.Select(SendOneAsync));
        // Redis runs on this machine, so its clock (which books the slots) is this clock: no slot is earlier than this.
        var started = DateTimeOffset.UtcNow;
        await Task.WhenAll(replicas.SelectMany(replica => Enumerable.Range(0, SendsPerReplica).Select(_ => SendOneAsync(replica))));

        Assert.Equal(replicas.Length + 2 * SendsPerReplica, _twilio.Calls);
        // The replicas book slots one interval apart for the number, from the first send on, and each send waits for its own.
        // So the k-th send to arrive (from 0) came no sooner than k intervals after the start: a send can arrive late (a busy
        // machine holds it up, and it then arrives next to later ones), never early. Counted per replica (eight a second
        // together), the last would arrive after 2.25 s instead of 4.75 s. The timer may wake a millisecond early.
        var interval = TimeSpan.FromSeconds(1.0 / MessagesPerSecond);
        var arrivals = _twilio.Requests.Where(request => request.ReceivedAt >= started)
            .Select(request => request.ReceivedAt - started).Order().ToList();
        Assert.Equal(2 * SendsPerReplica, arrivals.Count);
        for (var k = 0; k < arrivals.Count; k++)
        {
            Assert.True(arrivals[k] >= k * interval - TimeSpan.FromMilliseconds(10),
                $"Send {k + 1} of {arrivals.Count} reached the provider {arrivals[k].TotalMilliseconds:0} ms after the start, sooner " +
                $"than {MessagesPerSecond} a second allows ({(k * interval).TotalMilliseconds:0} ms). Arrivals (ms): " +
                string.Join(", ", arrivals.Select(arrival => arrival.TotalMilliseconds.ToString("0"))));
        }
    }

    private static Task<string> SendOneAsync(NotifierHost replica)
    {
        var message = NotifierHost.NewSendSms();
        return replica.Services.GetRequiredService<ISmsProvider>().SendAsync(new OutgoingSms(message.MessageId, message.ChallengeId,
            message.Destination, message.MaskedDestination, "Your FlexWhere code is 493817."), CancellationToken.None);
    }
}
