using FlexWhere.Testing;

namespace FlexWhere.Challenges.IntegrationTests;

/// <summary>A Redis Cluster (three primaries, a replica each) and a virtual host of the run's broker. Every
/// script's keys share a hash tag (<see cref="RedisKeys"/>): without it the client refuses the script (CROSSSLOT).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<RedisClusterServer>, ICollectionFixture<RabbitMqServer>
{
    public const string Name = "redis cluster and rabbitmq";
}

// The service's flows, unchanged, on the cluster: the same tests as on a single Redis.

[Collection(ClusterCollection.Name)]
public sealed class VerifyTestsOnCluster(RedisClusterServer redis, RabbitMqServer rabbitMq) : VerifyTests(redis, rabbitMq);

[Collection(ClusterCollection.Name)]
public sealed class LimitTestsOnCluster(RedisClusterServer redis, RabbitMqServer rabbitMq) : LimitTests(redis, rabbitMq);

[Collection(ClusterCollection.Name)]
public sealed class BudgetTestsOnCluster(RedisClusterServer redis, RabbitMqServer rabbitMq) : BudgetTests(redis, rabbitMq);

[Collection(ClusterCollection.Name)]
public sealed class DeliveryTestsOnCluster(RedisClusterServer redis, RabbitMqServer rabbitMq) : DeliveryTests(redis, rabbitMq);

[Collection(ClusterCollection.Name)]
public sealed class ReadinessTestsOnCluster(RedisClusterServer redis, RabbitMqServer rabbitMq) : ReadinessTests(redis, rabbitMq);
