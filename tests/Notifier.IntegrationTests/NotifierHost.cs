using FlexWhere.Contracts;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>
/// The Notifier's consumers and provider as the service registers them, on a real RabbitMQ and
/// Redis, with MassTransit's test harness observing what is published. Logs are collected so tests
/// can check what they carry.
/// </summary>
public sealed class NotifierHost : IAsyncDisposable
{
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string AuthToken = "fake-auth-token-for-tests";
    public const string From = "+3197010000001";
    public const string StatusCallbackUrl = "https://flexwhere.test/api/notifier/twilio/status";

    private readonly IHost _host;

    private NotifierHost(IHost host)
    {
        _host = host;
        Harness = host.Services.GetTestHarness();
        Logs = host.Services.GetFakeLogCollector();
    }

    public ITestHarness Harness { get; }

    public FakeLogCollector Logs { get; }

    public IServiceProvider Services => _host.Services;

    /// <summary>Settings for the Twilio provider pointed at <paramref name="twilio"/>, with short
    /// delays so retries finish within a test.</summary>
    public static Dictionary<string, string?> TwilioSettings(Uri twilio) => new()
    {
        ["Twilio:AccountSid"] = AccountSid,
        ["Twilio:AuthToken"] = AuthToken,
        ["Twilio:From"] = From,
        ["Twilio:StatusCallbackUrl"] = StatusCallbackUrl,
        ["Twilio:BaseUrl"] = twilio.ToString(),
        ["Notifier:SmsResilience:MaxRetryAttempts"] = "2",
        ["Notifier:SmsResilience:BaseDelay"] = "00:00:00.050",
        ["Notifier:SmsResilience:AttemptTimeout"] = "00:00:01",
        ["Notifier:SmsResilience:MaxRetryAfter"] = "00:00:02",
        ["Notifier:SmsResilience:MessagesPerSecond"] = "100",
        ["Notifier:SmsResilience:BreakerMinimumThroughput"] = "100",
    };

    public static async Task<NotifierHost> StartAsync(
        ServerAddresses servers,
        IDictionary<string, string?> settings,
        TimeProvider? timeProvider = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Development });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = servers.Redis,
            ["Notifier:Sending:RetryLimit"] = "1",
            ["Notifier:Sending:RetryMinInterval"] = "00:00:00.200",
            ["Notifier:Sending:RetryMaxInterval"] = "00:00:00.500",
            ["Notifier:Sending:ClaimTtl"] = "00:00:10",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddFakeLogging();
        if (timeProvider is not null) builder.Services.AddSingleton(timeProvider);

        builder.AddSmsDelivery();
        builder.Services.AddMassTransitTestHarness(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            Extensions.AddSmsConsumers(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(new Uri(servers.RabbitMq));
                rabbit.ConfigureEndpoints(context);
            });
        });
        builder.Services.Configure<TestHarnessOptions>(options =>
        {
            options.TestTimeout = TimeSpan.FromSeconds(60);
            // Negative checks ("no SmsSent was published") wait this long for bus silence.
            options.TestInactivityTimeout = TimeSpan.FromSeconds(5);
        });

        var host = builder.Build();
        await host.StartAsync();
        return new NotifierHost(host);
    }

    public static SendSms NewSendSms(TimeSpan? expiresIn = null, string locale = "en") => new()
    {
        MessageId = Guid.NewGuid(),
        ChallengeId = $"ch_{Guid.NewGuid():N}",
        Destination = "+31612345678",
        MaskedDestination = "+31 6 •••• ••78",
        TemplateId = SmsTemplates.OneTimeCode,
        Locale = locale,
        Code = "493817",
        ExpiresAt = DateTimeOffset.UtcNow + (expiresIn ?? TimeSpan.FromMinutes(5)),
    };

    public async Task<SmsSent> SentAsync(Guid messageId)
    {
        Assert.True(await Harness.Published.Any<SmsSent>(sent => sent.Context.Message.MessageId == messageId), "No SmsSent was published.");
        return Harness.Published.Select<SmsSent>(sent => sent.Context.Message.MessageId == messageId).First().Context.Message;
    }

    public async Task<SmsFailed> FailedAsync(Guid messageId)
    {
        Assert.True(await Harness.Published.Any<SmsFailed>(failed => failed.Context.Message.MessageId == messageId),
            "No SmsFailed was published.");
        return Harness.Published.Select<SmsFailed>(failed => failed.Context.Message.MessageId == messageId).First().Context.Message;
    }

    /// <summary>Waits (up to 30 s) until <paramref name="condition"/> holds, for counts the harness cannot await.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string because)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, because);
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Stop consuming before anything else goes: a bus left running would take the next test's messages.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _host.Services.GetRequiredService<IBusControl>().StopAsync(timeout.Token);
        await _host.StopAsync();
        _host.Dispose();
    }
}

public sealed record ServerAddresses(string RabbitMq, string Redis);
