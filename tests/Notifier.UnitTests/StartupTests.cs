using FlexWhere.Testing.Twilio;
using FlexWhere.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace FlexWhere.Notifier.UnitTests;

public class StartupTests
{
    private static readonly (string, string?) UnreachableRedis = ("ConnectionStrings:redis", $"127.0.0.1:{HealthProbe.ClosedPort()}");

    [Theory]
    [InlineData("")]
    [InlineData("not a uri")]
    [InlineData("amqp://u:p@127.0.0.1:5672,,127.0.0.1:5673")]
    public void Refuses_to_start_without_a_broker_uri(string connectionString)
    {
        var error = Assert.Throws<InvalidOperationException>(() => ServiceStart.Start(() =>
            new ServiceFactory<Program>(("ConnectionStrings:rabbitmq", connectionString), UnreachableRedis)));

        Assert.Contains("ConnectionStrings:rabbitmq", error.Message);
        Assert.Contains("amqp://", error.Message);
    }

    [Fact]
    public void Refuses_to_start_without_redis()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ServiceStart.Start(() =>
            new ServiceFactory<Program>(("ConnectionStrings:rabbitmq", $"amqp://u:p@127.0.0.1:{HealthProbe.ClosedPort()}"))));

        Assert.Contains("ConnectionStrings:redis", error.Message);
    }

    [Fact]
    public async Task Is_alive_but_not_ready_while_the_broker_does_not_answer()
    {
        using var factory = new ServiceFactory<Program>(("ConnectionStrings:rabbitmq", $"amqp://u:p@127.0.0.1:{HealthProbe.ClosedPort()}"),
            UnreachableRedis);

        await HealthProbe.AssertAliveButNotReadyAsync(factory.CreateClient(), "masstransit-bus");
    }

    [Fact]
    public async Task Is_alive_but_not_ready_while_redis_does_not_answer()
    {
        using var factory = new ServiceFactory<Program>(("ConnectionStrings:rabbitmq", $"amqp://u:p@127.0.0.1:{HealthProbe.ClosedPort()}"),
            UnreachableRedis);

        await HealthProbe.AssertAliveButNotReadyAsync(factory.CreateClient(), "StackExchange.Redis");
    }

    [Theory]
    [InlineData("Twilio:AuthToken", null, "Twilio:AuthToken is not set")]
    [InlineData("Twilio:StatusCallbackUrl", null, "Twilio:StatusCallbackUrl is not set")]
    [InlineData("Twilio:AccountSid", "not-a-sid", "Twilio:AccountSid must look like AC")]
    [InlineData("Twilio:From", "0612345678", "Twilio:From must be an E.164 number")]
    public void Refuses_to_start_with_an_incomplete_twilio_account(string key, string? value, string expected)
    {
        var settings = ValidTwilio();
        settings[key] = value;
        var error = Assert.Throws<OptionsValidationException>(() => ServiceStart.Start(() => new ServiceFactory<Program>([.. Broker(),
            .. settings.Select(pair => (pair.Key, pair.Value))])));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Refuses_to_start_with_both_a_from_number_and_a_messaging_service()
    {
        var settings = ValidTwilio();
        settings["Twilio:MessagingServiceSid"] = FakeTwilio.NewMessagingServiceSid();
        var error = Assert.Throws<OptionsValidationException>(() => ServiceStart.Start(() => new ServiceFactory<Program>([.. Broker(),
            .. settings.Select(pair => (pair.Key, pair.Value))])));

        Assert.Contains("exactly one of Twilio:From and Twilio:MessagingServiceSid", error.Message);
    }

    [Fact]
    public void Refuses_to_start_when_a_claim_could_expire_while_the_pipeline_still_runs()
    {
        var settings = ValidTwilio();
        settings["Notifier:Sending:ClaimTtl"] = "00:00:30";
        var error = Assert.Throws<OptionsValidationException>(() => ServiceStart.Start(() => new ServiceFactory<Program>([.. Broker(),
            .. settings.Select(pair => (pair.Key, pair.Value))])));

        Assert.Contains("Notifier:Sending:ClaimTtl (00:00:30) must be longer than the provider pipeline can run (00:02:42)", error.Message);
    }

    [Fact]
    public void Refuses_to_start_outside_development_without_twilio()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ServiceStart.Start(() => new ProductionFactory(Broker())));

        Assert.Contains("Twilio:AccountSid is not set", error.Message);
    }

    [Fact]
    public void Refuses_to_start_outside_development_without_a_mail_server()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ServiceStart.Start(() =>
            new ProductionFactory([.. Broker(), .. ValidTwilio().Select(pair => (pair.Key, pair.Value))])));

        Assert.Contains("Smtp:Host is not set", error.Message);
    }

    [Theory]
    [InlineData("Smtp:From", null, "Smtp:From is not set")]
    [InlineData("Smtp:From", "no-reply", "Smtp:From must be an e-mail address")]
    [InlineData("Smtp:Port", "0", "Port")]
    public void Refuses_to_start_with_an_incomplete_mail_server(string key, string? value, string expected)
    {
        var settings = ValidProviders();
        settings[key] = value;
        var error = Assert.Throws<OptionsValidationException>(() => ServiceStart.Start(() =>
            new ProductionFactory([.. Broker(), .. settings.Select(pair => (pair.Key, pair.Value))])));

        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("/dev/sms")]
    [InlineData("/dev/mail")]
    public async Task Has_no_development_inbox_outside_development(string path)
    {
        using var factory = new ProductionFactory([.. Broker(), .. ValidProviders().Select(pair => (pair.Key, pair.Value))]);

        using var response = await factory.CreateClient().GetAsync(path);

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    private static (string, string?)[] Broker() =>
        [("ConnectionStrings:rabbitmq", $"amqp://u:p@127.0.0.1:{HealthProbe.ClosedPort()}"), UnreachableRedis];

    private static Dictionary<string, string?> ValidTwilio() => new()
    {
        ["Twilio:AccountSid"] = FakeTwilio.NewAccountSid(),
        ["Twilio:AuthToken"] = "token",
        ["Twilio:From"] = "+3197010000001",
        ["Twilio:StatusCallbackUrl"] = "https://flexwhere.test/api/notifier/twilio/status",
    };

    private static Dictionary<string, string?> ValidProviders()
    {
        var settings = ValidTwilio();
        settings["Smtp:Host"] = "smtp.flexwhere.test";
        settings["Smtp:From"] = "no-reply@flexwhere.test";
        return settings;
    }

    private sealed class ProductionFactory(params (string Key, string? Value)[] settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            foreach (var (key, value) in settings) builder.UseSetting(key, value);
        }
    }
}
