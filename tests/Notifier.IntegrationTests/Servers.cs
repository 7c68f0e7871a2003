using FlexWhere.Testing;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>One RabbitMQ and one Redis for the whole assembly; tests in the collection run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ServersCollection : ICollectionFixture<RabbitMqServer>, ICollectionFixture<RedisServer>
{
    public const string Name = "servers";
}

/// <summary>A broker of its own for the tests that stop it: the run's shared broker serves other assemblies.</summary>
[CollectionDefinition(Name)]
public sealed class OwnBrokerCollection : ICollectionFixture<OwnRabbitMqServer>, ICollectionFixture<RedisServer>
{
    public const string Name = "own broker";
}
