using System.Net;
using System.Net.Http.Json;
using FlexWhere.Notifier.DevInbox;
using FlexWhere.Testing;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>Without a Twilio account (the AppHost's default) SMS land in the development inbox, which every replica
/// shares (Redis).</summary>
[Collection(ServersCollection.Name)]
public sealed class DevInboxTests(RabbitMqServer rabbitMq, RedisServer redis) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await SharedQueues.AssertNobodyConsumesAsync(rabbitMq);
        await DevInboxes.ClearAsync(redis);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private sealed record InboxEntry(string To, string Body, DateTimeOffset SentAt);

    [Fact]
    public async Task A_sign_in_code_sent_over_the_bus_appears_in_the_development_inbox_of_every_replica_newest_first()
    {
        (string, string?)[] settings = [("ConnectionStrings:rabbitmq", rabbitMq.ConnectionString), ("ConnectionStrings:redis", redis.ConnectionString)];
        await using var notifier = await NotifierApp.StartAsync(settings);
        await using var otherReplica = await NotifierApp.StartAsync(settings);
        await using var challenges = await EventListener.StartAsync(rabbitMq.ConnectionString);
        var older = NotifierHost.NewSendSms() with { Code = "111111" };
        var newer = NotifierHost.NewSendSms() with { Code = "222222", Locale = "nl" };

        await challenges.Publisher.Publish(older);
        await NotifierHost.EventuallyAsync(() => challenges.Sent.Any(sent => sent.MessageId == older.MessageId),
            "The first SMS was not sent.");
        await challenges.Publisher.Publish(newer);
        await NotifierHost.EventuallyAsync(() => challenges.Sent.Any(sent => sent.MessageId == newer.MessageId),
            "The second SMS was not sent.");

        // Either replica may have sent either SMS; both list both.
        foreach (var client in new[] { notifier.Client, otherReplica.Client })
        {
            var inbox = await client.GetFromJsonAsync<List<InboxEntry>>("/dev/sms");
            Assert.NotNull(inbox);
            Assert.Equal(2, inbox.Count);
            Assert.StartsWith("Je FlexWhere-code is 222222.", inbox[0].Body);
            Assert.StartsWith("Your FlexWhere code is 111111.", inbox[1].Body);
            Assert.Equal("+31612345678", inbox[0].To);
        }

        Assert.StartsWith("dev-", challenges.Sent.Single(sent => sent.MessageId == newer.MessageId).ProviderMessageId);
        using var page = await otherReplica.Client.GetAsync("/dev/sms/view");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Je FlexWhere-code is 222222.", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Keeps_only_the_last_messages_newest_first_and_expires_the_list()
    {
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var key = $"test:dev-inbox:{Guid.NewGuid():N}";
        var inbox = new DevInbox<DevSms>(connection, key, capacity: 2);
        var start = DateTimeOffset.UnixEpoch;
        await inbox.AddAsync(new DevSms("+31600000001", "first", start));
        await inbox.AddAsync(new DevSms("+31600000002", "second", start.AddSeconds(1)));
        await inbox.AddAsync(new DevSms("+31600000003", "third", start.AddSeconds(2)));

        Assert.Equal(["third", "second"], (await inbox.NewestAsync()).Select(sms => sms.Body));
        Assert.Equal(2, await connection.GetDatabase().ListLengthAsync(key));
        var ttl = await connection.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value, DevInbox<DevSms>.Kept - TimeSpan.FromMinutes(1), DevInbox<DevSms>.Kept);
    }

    [Fact]
    public async Task The_page_shows_the_messages_html_encoded()
    {
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var inbox = new DevSmsInbox(connection);
        await inbox.AddAsync(new DevSms("+31612345678", "Your <b>code</b> is 123456", DateTimeOffset.UnixEpoch));

        var page = await DevInboxApi.ViewMessages(inbox);

        Assert.Equal("text/html; charset=utf-8", page.ContentType);
        Assert.Contains("Your &lt;b&gt;code&lt;/b&gt; is 123456", page.ResponseContent);
        Assert.DoesNotContain("<b>code</b>", page.ResponseContent);
    }
}
