using FlexWhere.Testing;
using Microsoft.Extensions.Options;

namespace FlexWhere.Challenges.UnitTests;

public class StartupTests
{
    private static readonly string ValidKey = new('k', 48);

    private static ServiceFactory<Program> Challenges(string? codeHashKey) => new(
        ("ConnectionStrings:redis", $"127.0.0.1:{HealthProbe.ClosedPort()},abortConnect=false,connectTimeout=1000"),
        ("ConnectionStrings:rabbitmq", $"amqp://u:p@127.0.0.1:{HealthProbe.ClosedPort()}"),
        ("Challenges:CodeHashKey", codeHashKey));

    [Fact]
    public void Refuses_to_start_without_a_code_hash_key()
    {
        using var factory = Challenges(codeHashKey: null);

        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("Challenges:CodeHashKey is not set", error.Message);
    }

    [Fact]
    public void Refuses_to_start_without_the_redis_connection_string()
    {
        using var factory = new ServiceFactory<Program>(
            ("ConnectionStrings:redis", ""),
            ("Challenges:CodeHashKey", ValidKey));

        var error = Assert.Throws<InvalidOperationException>(() => factory.CreateClient());

        Assert.Contains("ConnectionStrings:redis is not set", error.Message);
    }

    [Fact]
    public void Refuses_to_start_with_a_short_code_hash_key()
    {
        using var factory = Challenges(codeHashKey: "too-short");

        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("at least 32 characters", error.Message);
    }

    [Fact]
    public async Task Is_alive_but_not_ready_while_redis_and_the_broker_do_not_answer()
    {
        using var factory = Challenges(ValidKey);

        await HealthProbe.AssertAliveButNotReadyAsync(factory.CreateClient(), "StackExchange.Redis", "masstransit-bus");
    }
}
