using FlexWhere.Testing;

namespace FlexWhere.Gateway.UnitTests;

public class StartupTests
{
    [Fact]
    public async Task Is_alive_but_not_ready_without_its_redis_and_reports_the_services_behind_it_apart()
    {
        using var gateway = GatewayFactory.WithoutDependencies();
        using var client = gateway.CreateClient();

        // Its own readiness is its own store only; the services behind it are reported at /health/downstream.
        await HealthProbe.AssertAliveButNotReadyAsync(client, "StackExchange.Redis");
        var (code, body, raw) = await HealthProbe.WaitForReadinessAsync(client, System.Net.HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(30), "/health/downstream");
        Assert.True(code == System.Net.HttpStatusCode.ServiceUnavailable, raw);
        Assert.Equal(["downstream-accounts", "downstream-challenges", "downstream-notifier"], body!.Checks.Keys.Order());
    }

    [Fact]
    public void Refuses_to_start_without_the_redis_connection_string()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ServiceStart.Start(() =>
            new ServiceFactory<Program>(("ConnectionStrings:redis", ""))));

        Assert.Contains("ConnectionStrings:redis is not set", error.Message);
    }
}
