using FlexWhere.Testing;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>A Redis Cluster (three primaries, a replica each) and a virtual host of the run's broker. A message's
/// keys share its id as hash tag (<see cref="Sending.NotifierKeys"/>): without it the client refuses the scripts (CROSSSLOT).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<RabbitMqServer>, ICollectionFixture<RedisClusterServer>
{
    public const string Name = "redis cluster";
}

// The Notifier's idempotency and its status callbacks (the provider id's mapping), unchanged, on the cluster.

[Collection(ClusterCollection.Name)]
public sealed class SmsIdempotencyTestsOnCluster(RedisClusterServer redis) : SmsIdempotencyTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class StatusCallbackTestsOnCluster(RabbitMqServer rabbitMq, RedisClusterServer redis) : StatusCallbackTests(rabbitMq, redis);
