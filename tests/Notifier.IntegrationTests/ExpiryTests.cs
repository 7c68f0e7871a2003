using FlexWhere.Notifier.DevInbox;
using FlexWhere.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>The Notifier's clock decides whether a code is still worth sending and what lifetime the text states.</summary>
[Collection(ServersCollection.Name)]
public sealed class ExpiryTests(RabbitMqServer rabbitMq, RedisServer redis) : IAsyncLifetime
{
    private static readonly DateTimeOffset ExpiresAt = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    public async Task InitializeAsync()
    {
        await SharedQueues.AssertNobodyConsumesAsync(rabbitMq);
        await DevInboxes.ClearAsync(redis);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task States_the_minutes_left_by_the_time_provider()
    {
        var clock = new FakeTimeProvider(ExpiresAt.AddMinutes(-3).AddSeconds(-10));
        await using var notifier = await NotifierHost.StartAsync(new(rabbitMq.ConnectionString, redis.ConnectionString),
            new Dictionary<string, string?>(), clock);
        var message = NotifierHost.NewSendSms() with { ExpiresAt = ExpiresAt };

        await notifier.Harness.Bus.Publish(message);
        await notifier.SentAsync(message.MessageId);

        var sms = Assert.Single(await notifier.Services.GetRequiredService<DevSmsInbox>().NewestAsync());
        Assert.Equal("Your FlexWhere code is 493817. It expires in 4 minutes.", sms.Body);
        Assert.Equal(clock.GetUtcNow(), sms.SentAt);
    }

    [Fact]
    public async Task Drops_a_message_once_the_time_provider_is_past_its_expiry()
    {
        var clock = new FakeTimeProvider(ExpiresAt.AddSeconds(1));
        await using var notifier = await NotifierHost.StartAsync(new(rabbitMq.ConnectionString, redis.ConnectionString),
            new Dictionary<string, string?>(), clock);
        var message = NotifierHost.NewSendSms() with { ExpiresAt = ExpiresAt };

        await notifier.Harness.Bus.Publish(message);
        var failed = await notifier.FailedAsync(message.MessageId);

        Assert.Equal("code_expired", failed.Reason);
        Assert.Equal(clock.GetUtcNow(), failed.FailedAt);
        Assert.Empty(await notifier.Services.GetRequiredService<DevSmsInbox>().NewestAsync());
        Assert.False(await notifier.Harness.Published.Any<Contracts.SmsSent>(sent => sent.Context.Message.MessageId == message.MessageId));
    }
}
