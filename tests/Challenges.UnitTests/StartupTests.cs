using FlexWhere.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlexWhere.Challenges.UnitTests;

public class StartupTests
{
    private static readonly string ValidKey = new('k', 48);

    private static readonly string ValidInternalKey = new('i', 40);

    private static ServiceFactory<Program> Challenges(string? codeHashKey, params (string Key, string? Value)[] more) => new(
        [
            ("ConnectionStrings:redis", $"127.0.0.1:{HealthProbe.ClosedPort()},abortConnect=false,connectTimeout=1000"),
            ("ConnectionStrings:rabbitmq", $"amqp://u:p@127.0.0.1:{HealthProbe.ClosedPort()}"),
            ("Challenges:CodeHashKey", codeHashKey),
            ("InternalApi:Key", ValidInternalKey),
            .. more,
        ]);

    [Fact]
    public void Refuses_to_start_without_a_code_hash_key()
    {
        var error = Assert.Throws<OptionsValidationException>(() => ServiceStart.Start(() => Challenges(codeHashKey: null)));

        Assert.Contains("Challenges:CodeHashKey is not set", error.Message);
    }

    [Fact]
    public void Refuses_to_start_without_the_redis_connection_string()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ServiceStart.Start(() => new ServiceFactory<Program>(
            ("ConnectionStrings:redis", ""),
            ("Challenges:CodeHashKey", ValidKey))));

        Assert.Contains("ConnectionStrings:redis is not set", error.Message);
    }

    [Fact]
    public void Refuses_to_start_with_a_short_code_hash_key()
    {
        var error = Assert.Throws<OptionsValidationException>(() => ServiceStart.Start(() => Challenges(codeHashKey: "too-short")));

        Assert.Contains("at least 32 characters", error.Message);
    }

    [Fact]
    public async Task Is_alive_but_not_ready_while_redis_and_the_broker_do_not_answer()
    {
        using var factory = Challenges(ValidKey);

        await HealthProbe.AssertAliveButNotReadyAsync(factory.CreateClient(), "StackExchange.Redis", "masstransit-bus");
    }

    [Theory]
    [InlineData("InternalApi:Key", null, "InternalApi:Key is not set")]
    [InlineData("InternalApi:Key", "short", "InternalApi:Key must be at least 32 characters")]
    [InlineData("InternalApi:AcceptedKeys:0", "short", "InternalApi:AcceptedKeys:0 must be at least 32 characters")]
    [InlineData("InternalApi:AcceptedKeys:0", "", "InternalApi:AcceptedKeys:0 must be at least 32 characters")]
    [InlineData("Challenges:CodeTtl", "00:10:01", "Challenges:CodeTtl must be between")]
    [InlineData("Challenges:CodeTtl", "00:00:05", "Challenges:CodeTtl must be between")]
    [InlineData("Challenges:MaxAttempts", "0", "Challenges:MaxAttempts")]
    [InlineData("Challenges:AutofillDomain", "https://app.flexwhere.com", "Challenges:AutofillDomain")]
    public void Refuses_to_start_with_an_invalid_setting(string key, string? value, string message)
    {
        var error = Assert.Throws<OptionsValidationException>(() => ServiceStart.Start(() => Challenges(ValidKey, (key, value))));

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Starts_with_a_ten_minute_code_lifetime()
    {
        using var factory = Challenges(ValidKey, ("Challenges:CodeTtl", "00:10:00"));

        Assert.Equal(TimeSpan.FromMinutes(10), factory.Services.GetRequiredService<IOptions<ChallengeOptions>>().Value.CodeTtl);
    }
}
