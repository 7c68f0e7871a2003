using Aspire.Hosting.Testing;
using System.Net;
using FlexWhere.Contracts;
using MassTransit;

namespace FlexWhere.EndToEndTests;

/// <summary>Without Twilio settings (the default) the Notifier keeps SMS in its development inbox,
/// readable through the Gateway and linked from the dashboard.</summary>
[Collection(AppHostCollection.Name)]
public class DevInboxTests(AppHostFixture stack)
{
    [Fact]
    public async Task A_code_sent_over_the_stacks_broker_appears_in_the_development_inbox_through_the_gateway()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var broker = await stack.App.GetConnectionStringAsync("rabbitmq", timeout.Token);
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(new Uri(broker!)));
        await bus.StartAsync(timeout.Token);
        var code = Random.Shared.Next(100_000, 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            // What Challenges publishes for a sign-in.
            await bus.Publish(new SendSms
            {
                MessageId = Guid.NewGuid(),
                ChallengeId = $"ch_{Guid.NewGuid():N}",
                Destination = "+31612345678",
                MaskedDestination = "+31 6 •••• ••78",
                TemplateId = SmsTemplates.OneTimeCode,
                Locale = "en",
                Code = code,
                ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(5),
            }, timeout.Token);
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }

        string inbox;
        do
        {
            await Task.Delay(200, timeout.Token);
            using var response = await stack.Gateway.GetAsync("/dev/sms", timeout.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            inbox = await response.Content.ReadAsStringAsync(timeout.Token);
        }
        while (!inbox.Contains($"Your FlexWhere code is {code}.", StringComparison.Ordinal));

        using var page = await stack.Gateway.GetAsync("/dev/sms/view", timeout.Token);
        Assert.Contains($"Your FlexWhere code is {code}.", await page.Content.ReadAsStringAsync(timeout.Token));
    }

    [Fact]
    public async Task The_dashboard_links_the_development_inbox_from_the_notifier()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var notifier = await stack.App.ResourceNotifications.WaitForResourceAsync("notifier",
            resource => resource.Snapshot.Urls.Any(url => url.Url.EndsWith("/dev/sms/view", StringComparison.Ordinal)), timeout.Token);

        Assert.Contains(notifier.Snapshot.Urls, url => url.DisplayProperties.DisplayName == "Development SMS inbox");
    }
}
