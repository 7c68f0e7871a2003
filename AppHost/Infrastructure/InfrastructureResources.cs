namespace FlexWhere.AppHost.Infrastructure;

/// <summary>The servers the services reference, whichever mode provides them.</summary>
public sealed record InfrastructureResources(
    IResourceBuilder<IResourceWithConnectionString> AccountsDatabase,
    IResourceBuilder<IResourceWithConnectionString> Redis,
    IResourceBuilder<IResourceWithConnectionString> RabbitMq);

public static class InfrastructureNames
{
    public const string Postgres = "postgres";
    public const string AccountsDatabase = "accountsdb";
    public const string Redis = "redis";
    public const string RabbitMq = "rabbitmq";
}
