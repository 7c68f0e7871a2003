using Aspire.Hosting.Testing;
using System.Net;
using FlexWhere.Contracts;
using MassTransit;

namespace FlexWhere.EndToEndTests;

/// <summary>Without Twilio and mail server settings (the default) the Notifier keeps SMS and e-mail in its
/// development inboxes, readable through the Gateway and linked from the dashboard.</summary>
[Collection(AppHostCollection.Name)]
public class DevInboxTests(AppHostFixture stack)
{
    [Fact]
    public async Task A_code_sent_over_the_stacks_broker_appears_in_the_development_inbox_through_the_gateway()
    {
        var code = Random.Shared.Next(100_000, 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // What Challenges publishes for a sign-in.
        await PublishAsync(new SendSms
        {
            MessageId = Guid.NewGuid(),
            ChallengeId = $"ch_{Guid.NewGuid():N}",
            Destination = "+31612345678",
            MaskedDestination = "+31 6 •••• ••78",
            TemplateId = SmsTemplates.OneTimeCode,
            Locale = "en",
            Code = code,
            ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(5),
        });

        await AssertInInboxAsync("/dev/sms", $"Your FlexWhere code is {code}.");
    }

    [Fact]
    public async Task An_email_sent_over_the_stacks_broker_appears_in_the_development_mail_inbox_through_the_gateway()
    {
        var link = $"http://localhost/#/set-password?token=tok_{Guid.NewGuid():N}";
        await PublishAsync(new SendEmail
        {
            MessageId = Guid.NewGuid(),
            To = "new.employee@demo.flexwhere.test",
            MaskedTo = "n•••@demo.flexwhere.test",
            TemplateId = EmailTemplates.Invitation,
            Locale = "nl",
            RecipientName = "Nieuwe Collega",
            OrganisationName = "Demo",
            Link = link,
            ExpiresAt = DateTimeOffset.UtcNow.AddHours(72),
        });

        await AssertInInboxAsync("/dev/mail", link);
    }

    private async Task PublishAsync<T>(T message) where T : class
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var broker = await stack.App.GetConnectionStringAsync("rabbitmq", timeout.Token);
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(new Uri(broker!)));
        await bus.StartAsync(timeout.Token);
        try
        {
            await bus.Publish(message, timeout.Token);
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Waits (up to a minute) until the inbox's JSON holds <paramref name="text"/>, then checks its page shows it too.</summary>
    private async Task AssertInInboxAsync(string inboxPath, string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string inbox;
        do
        {
            await Task.Delay(200, timeout.Token);
            using var response = await stack.Gateway.GetAsync(inboxPath, timeout.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            inbox = await response.Content.ReadAsStringAsync(timeout.Token);
        }
        while (!inbox.Contains(text, StringComparison.Ordinal));

        using var page = await stack.Gateway.GetAsync($"{inboxPath}/view", timeout.Token);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(text), await page.Content.ReadAsStringAsync(timeout.Token));
    }

    [Fact]
    public async Task The_dashboard_links_the_development_inboxes_from_the_notifier()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var notifier = await stack.App.ResourceNotifications.WaitForResourceAsync("notifier",
            resource => resource.Snapshot.Urls.Any(url => url.Url.EndsWith("/dev/mail/view", StringComparison.Ordinal)), timeout.Token);

        Assert.Contains(notifier.Snapshot.Urls, url => url.DisplayProperties.DisplayName == "Development SMS inbox");
        Assert.Contains(notifier.Snapshot.Urls, url => url.DisplayProperties.DisplayName == "Development mail inbox");
    }
}
