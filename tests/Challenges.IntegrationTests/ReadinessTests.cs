using System.Net;
using FlexWhere.Testing;

namespace FlexWhere.Challenges.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class ServersCollection : ICollectionFixture<RedisServer>, ICollectionFixture<RabbitMqServer>
{
    public const string Name = "redis and rabbitmq";
}

[Collection(ServersCollection.Name)]
public class ReadinessTests(RedisServer redis, RabbitMqServer rabbitMq)
{
    private static readonly string CodeHashKey = new('k', 48);

    [Fact]
    public async Task Is_ready_when_redis_and_the_broker_answer()
    {
        using var factory = new ServiceFactory<Program>(
            ("ConnectionStrings:redis", redis.ConnectionString),
            ("ConnectionStrings:rabbitmq", rabbitMq.ConnectionString),
            ("Challenges:CodeHashKey", CodeHashKey),
            ("InternalApi:Key", ChallengesApp.InternalKey));

        var (code, body, raw) = await HealthProbe.WaitForReadinessAsync(factory.CreateClient(), HttpStatusCode.OK,
            TimeSpan.FromSeconds(30));

        Assert.True(code == HttpStatusCode.OK, raw);
        Assert.Equal("Healthy", body!.Checks["StackExchange.Redis"].Status);
        Assert.Equal("Healthy", body.Checks["masstransit-bus"].Status);
    }
}

/// <summary>No Redis at all: one run is enough, so it is not repeated for the cluster (it waited 12–31 s there).</summary>
[Collection(ServersCollection.Name)]
public sealed class RedisDownReadinessTests(RabbitMqServer rabbitMq)
{
    private static readonly string CodeHashKey = new('k', 48);

    [Fact]
    public async Task Is_not_ready_when_redis_is_down_even_with_the_broker_up()
    {
        using var factory = new ServiceFactory<Program>(
            ("ConnectionStrings:redis", $"127.0.0.1:{HealthProbe.ClosedPort()},abortConnect=false,connectTimeout=1000"),
            ("ConnectionStrings:rabbitmq", rabbitMq.ConnectionString),
            ("Challenges:CodeHashKey", CodeHashKey),
            ("InternalApi:Key", ChallengesApp.InternalKey));

        await HealthProbe.AssertAliveButNotReadyAsync(factory.CreateClient(), "StackExchange.Redis");
    }
}
