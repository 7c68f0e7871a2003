using System.Net;
using FlexWhere.Testing;

namespace FlexWhere.Notifier.IntegrationTests;

[Collection(OwnBrokerCollection.Name)]
public class ReadinessTests(OwnRabbitMqServer rabbitMq, RedisServer redis)
{
    [Fact]
    public async Task Is_ready_once_the_bus_is_connected_to_the_broker()
    {
        using var factory = new ServiceFactory<Program>(("ConnectionStrings:rabbitmq", rabbitMq.ConnectionString),
            ("ConnectionStrings:redis", redis.ConnectionString));

        var (code, body, raw) = await HealthProbe.WaitForReadinessAsync(factory.CreateClient(), HttpStatusCode.OK,
            TimeSpan.FromSeconds(30));

        Assert.True(code == HttpStatusCode.OK, raw);
        Assert.Equal("Healthy", body!.Checks["masstransit-bus"].Status);
        Assert.Equal("Healthy", body.Checks["StackExchange.Redis"].Status);
    }

    [Fact]
    public async Task Is_not_ready_while_the_broker_is_down_and_ready_again_by_itself_when_it_returns()
    {
        using var factory = new ServiceFactory<Program>(("ConnectionStrings:rabbitmq", rabbitMq.ConnectionString),
            ("ConnectionStrings:redis", redis.ConnectionString));
        var client = factory.CreateClient();
        var (ready, _, readyRaw) = await HealthProbe.WaitForReadinessAsync(client, HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        Assert.True(ready == HttpStatusCode.OK, readyRaw);

        await rabbitMq.StopAsync();
        (HttpStatusCode Code, HealthProbe.Report? Body, string Raw) down;
        try
        {
            // MassTransit calls its consumers Degraded while it reconnects: readiness must still say no.
            down = await HealthProbe.WaitForReadinessAsync(client, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30));
        }
        finally
        {
            await rabbitMq.StartAsync();
        }

        Assert.True(down.Code == HttpStatusCode.ServiceUnavailable, down.Raw);
        Assert.NotEqual("Healthy", down.Body!.Checks["masstransit-bus"].Status);
        var (back, _, backRaw) = await HealthProbe.WaitForReadinessAsync(client, HttpStatusCode.OK, TimeSpan.FromSeconds(60));
        Assert.True(back == HttpStatusCode.OK, backRaw);
    }

    [Fact]
    public async Task Is_not_ready_when_the_broker_refuses_its_credentials()
    {
        var wrongPassword = new UriBuilder(rabbitMq.ConnectionString) { Password = "wrong" }.Uri.ToString();
        using var factory = new ServiceFactory<Program>(("ConnectionStrings:rabbitmq", wrongPassword), ("ConnectionStrings:redis",
            redis.ConnectionString));

        await HealthProbe.AssertAliveButNotReadyAsync(factory.CreateClient(), "masstransit-bus");
    }
}
