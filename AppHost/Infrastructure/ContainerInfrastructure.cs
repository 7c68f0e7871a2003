namespace FlexWhere.AppHost.Infrastructure;

public static class ContainerInfrastructure
{
    /// <summary>Aspire's own container resources: nothing to install but a container engine.</summary>
    public static InfrastructureResources AddContainerInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var accountsDatabase = builder.AddPostgres(InfrastructureNames.Postgres)
            .AddDatabase(InfrastructureNames.AccountsDatabase);
        var redis = builder.AddRedis(InfrastructureNames.Redis);
        var rabbitMq = builder.AddRabbitMQ(InfrastructureNames.RabbitMq);
        return new InfrastructureResources(accountsDatabase, redis, rabbitMq);
    }
}
