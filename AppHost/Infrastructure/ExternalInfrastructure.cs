namespace FlexWhere.AppHost.Infrastructure;

public static class ExternalInfrastructure
{
    /// <summary>
    /// In publish mode the servers are the deployment's own (a PostgreSQL primary with its standby, a Redis
    /// Cluster, a RabbitMQ cluster: docs/operations.md), named by their connection strings. Neither a local
    /// executable nor a container is published for them.
    /// </summary>
    public static InfrastructureResources AddExternalInfrastructure(this IDistributedApplicationBuilder builder) =>
        new(builder.AddConnectionString(InfrastructureNames.AccountsDatabase),
            builder.AddConnectionString(InfrastructureNames.Redis),
            builder.AddConnectionString(InfrastructureNames.RabbitMq));
}
