using System.Net;
using System.Net.Http.Json;
using FlexWhere.Testing;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>Without a Twilio account (the AppHost's default) SMS land in the development inbox.</summary>
[Collection(ServersCollection.Name)]
public sealed class DevInboxTests(RabbitMqServer rabbitMq, RedisServer redis) : IAsyncLifetime
{
    public Task InitializeAsync() => SharedQueues.AssertNobodyConsumesAsync(rabbitMq);

    public Task DisposeAsync() => Task.CompletedTask;

    private sealed record InboxEntry(string To, string Body, DateTimeOffset SentAt);

    [Fact]
    public async Task A_sign_in_code_sent_over_the_bus_appears_in_the_development_inbox_newest_first()
    {
        await using var notifier = await NotifierApp.StartAsync([("ConnectionStrings:rabbitmq", rabbitMq.ConnectionString),
            ("ConnectionStrings:redis", redis.ConnectionString)]);
        var client = notifier.Client;
        await using var challenges = await EventListener.StartAsync(rabbitMq.ConnectionString);
        var older = NotifierHost.NewSendSms() with { Code = "111111" };
        var newer = NotifierHost.NewSendSms() with { Code = "222222", Locale = "nl" };

        await challenges.Publisher.Publish(older);
        await NotifierHost.EventuallyAsync(() => challenges.Sent.Any(sent => sent.MessageId == older.MessageId),
            "The first SMS was not sent.");
        await challenges.Publisher.Publish(newer);
        await NotifierHost.EventuallyAsync(() => challenges.Sent.Any(sent => sent.MessageId == newer.MessageId),
            "The second SMS was not sent.");

        var inbox = await client.GetFromJsonAsync<List<InboxEntry>>("/dev/sms");
        Assert.NotNull(inbox);
        Assert.StartsWith("Je FlexWhere-code is 222222.", inbox[0].Body);
        Assert.StartsWith("Your FlexWhere code is 111111.", inbox[1].Body);
        Assert.Equal("+31612345678", inbox[0].To);
        Assert.StartsWith("dev-", challenges.Sent.Single(sent => sent.MessageId == newer.MessageId).ProviderMessageId);

        using var page = await client.GetAsync("/dev/sms/view");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Je FlexWhere-code is 222222.", await page.Content.ReadAsStringAsync());
    }
}
