using FlexWhere.Testing;

namespace FlexWhere.Gateway.UnitTests;

public class StartupTests
{
    [Fact]
    public async Task Is_alive_but_not_ready_while_nothing_behind_it_answers()
    {
        using var gateway = GatewayFactory.WithoutDependencies();

        await HealthProbe.AssertAliveButNotReadyAsync(gateway.CreateClient(),
            "downstream-accounts", "downstream-challenges", "downstream-notifier", "StackExchange.Redis");
    }

    [Fact]
    public void Refuses_to_start_without_the_redis_connection_string()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ServiceStart.Start(() =>
            new ServiceFactory<Program>(("ConnectionStrings:redis", ""))));

        Assert.Contains("ConnectionStrings:redis is not set", error.Message);
    }
}
