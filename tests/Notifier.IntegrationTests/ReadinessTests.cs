using System.Net;
using FlexWhere.Testing;

namespace FlexWhere.Notifier.IntegrationTests;

[Collection(ServersCollection.Name)]
public class ReadinessTests(RabbitMqServer rabbitMq, RedisServer redis)
{
    [Fact]
    public async Task Is_ready_once_the_bus_is_connected_to_the_broker()
    {
        using var factory = new ServiceFactory<Program>(("ConnectionStrings:rabbitmq", rabbitMq.ConnectionString), ("ConnectionStrings:redis", redis.ConnectionString));

        var (code, body, raw) = await HealthProbe.WaitForReadinessAsync(factory.CreateClient(), HttpStatusCode.OK, TimeSpan.FromSeconds(30));

        Assert.True(code == HttpStatusCode.OK, raw);
        Assert.Equal("Healthy", body!.Checks["masstransit-bus"].Status);
        Assert.Equal("Healthy", body.Checks["StackExchange.Redis"].Status);
    }

    [Fact]
    public async Task Is_not_ready_when_the_broker_refuses_its_credentials()
    {
        var wrongPassword = new UriBuilder(rabbitMq.ConnectionString) { Password = "wrong" }.Uri.ToString();
        using var factory = new ServiceFactory<Program>(("ConnectionStrings:rabbitmq", wrongPassword), ("ConnectionStrings:redis", redis.ConnectionString));

        await HealthProbe.AssertAliveButNotReadyAsync(factory.CreateClient(), "masstransit-bus");
    }
}
