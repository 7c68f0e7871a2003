using System.Net.Sockets;
using FlexWhere.LocalServers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using RabbitMQ.Client;

namespace FlexWhere.AppHost.Infrastructure;

public static class LocalInfrastructure
{
    /// <summary>
    /// PostgreSQL, Redis and RabbitMQ from Debian's packages as executables on 127.0.0.1, each with
    /// a fresh data folder that is deleted when the AppHost stops (and swept at the next start if the
    /// AppHost died). Passwords are generated per run and kept out of command lines.
    /// </summary>
    public static InfrastructureResources AddLocalInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var folder = DataFolder.Create("apphost");
        builder.Services.AddHostedService(services => new DataFolderCleanup(
            folder, services.GetRequiredService<IHostApplicationLifetime>()));

        return new InfrastructureResources(
            builder.AddLocalPostgres(folder).AddLocalDatabase(InfrastructureNames.AccountsDatabase),
            builder.AddLocalRedis(folder),
            builder.AddLocalRabbitMq(folder));
    }

    private static IResourceBuilder<LocalServerResource> AddLocalPostgres(this IDistributedApplicationBuilder builder, DataFolder folder)
    {
        var password = Recipes.NewPassword();
        var passwordParameter = builder.AddParameter($"{InfrastructureNames.Postgres}-password", password, secret: true);
        var port = Ports.FreeLoopbackPort();
        var dataDirectory = Path.Combine(folder.Path, "postgres");

        var postgres = builder.AddLocalServer(InfrastructureNames.Postgres, Recipes.Postgres(dataDirectory, port), port,
            server =>
            {
                var serverPort = server.Endpoint.Property(EndpointProperty.Port);
                return ReferenceExpression.Create(
                    $"Host=127.0.0.1;Port={serverPort};Username={Recipes.PostgresUser};Password={passwordParameter.Resource}");
            });

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(postgres.Resource,
            (_, cancellationToken) => Recipes.InitPostgresAsync(dataDirectory, password, cancellationToken));

        var adminConnectionString = Recipes.PostgresConnectionString(port, password, "postgres");
        var healthCheckKey = $"{InfrastructureNames.Postgres}_check";
        builder.Services.AddHealthChecks().AddNpgSql(adminConnectionString, name: healthCheckKey);

        // As Aspire does for its container: create the databases once the server answers.
        builder.Eventing.Subscribe<ResourceReadyEvent>(postgres.Resource, async (@event, cancellationToken) =>
        {
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            await using var connection = new NpgsqlConnection(adminConnectionString);
            await connection.OpenAsync(cancellationToken);
            foreach (var database in builder.Resources.OfType<LocalPostgresDatabaseResource>().Where(db => db.Parent == postgres.Resource))
            {
                await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection)
                {
                    Parameters = { new() { Value = database.DatabaseName } },
                };
                if (await exists.ExecuteScalarAsync(cancellationToken) is null)
                {
                    // Identifiers cannot be parameters; the name is ours, quoted all the same.
                    await using var create =
                        new NpgsqlCommand($"CREATE DATABASE \"{database.DatabaseName.Replace("\"", "\"\"")}\"", connection);
                    await create.ExecuteNonQueryAsync(cancellationToken);
                }

                await notifications.PublishUpdateAsync(database, snapshot => snapshot with
                {
                    State = KnownResourceStates.Running,
                    StartTimeStamp = DateTime.UtcNow,
                });
            }
        });

        return postgres.WithHealthCheck(healthCheckKey);
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddLocalDatabase(this IResourceBuilder<LocalServerResource> server,
        string name)
    {
        var builder = server.ApplicationBuilder;
        var database = new LocalPostgresDatabaseResource(name, name, server.Resource);

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheckKey, async cancellationToken =>
        {
            try
            {
                await using var connection =
                    new NpgsqlConnection(await database.ConnectionStringExpression.GetValueAsync(cancellationToken));
                await connection.OpenAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (NpgsqlException exception)
            {
                return HealthCheckResult.Unhealthy(exception.Message);
            }
        });

        // Aspire mirrors a container's state onto its databases, but not an executable's: do it here,
        // so that WaitFor(database) waits for the server and for the database to exist.
        builder.Eventing.Subscribe<InitializeResourceEvent>(database, (@event, cancellationToken) =>
        {
            _ = Task.Run(() => MirrorServerStateAsync(database, @event.Notifications, cancellationToken), cancellationToken);
            return Task.CompletedTask;
        });

        return builder.AddResource(database).WithHealthCheck(healthCheckKey);
    }

    private static async Task MirrorServerStateAsync(LocalPostgresDatabaseResource database, ResourceNotificationService notifications,
        CancellationToken cancellationToken)
    {
        await notifications.PublishUpdateAsync(database, snapshot => snapshot with
        {
            ResourceType = "PostgresDatabase",
            State = KnownResourceStates.Waiting,
            Properties = [.. snapshot.Properties, new ResourcePropertySnapshot(CustomResourceKnownProperties.Source, database.Parent.Name)],
        });

        await foreach (var update in notifications.WatchAsync(cancellationToken))
        {
            if (update.Resource != database.Parent || update.Snapshot.State?.Text is not { } state) continue;
            // Running is published by the server's ready handler once the database exists.
            if (state == KnownResourceStates.Running) continue;
            await notifications.PublishUpdateAsync(database, snapshot => snapshot with { State = update.Snapshot.State });
        }
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddLocalRedis(this IDistributedApplicationBuilder builder,
        DataFolder folder)
    {
        var password = Recipes.NewPassword();
        var passwordParameter = builder.AddParameter($"{InfrastructureNames.Redis}-password", password, secret: true);
        var port = Ports.FreeLoopbackPort();
        var healthCheckKey = $"{InfrastructureNames.Redis}_check";
        builder.Services.AddHealthChecks().AddRedis(Recipes.RedisConnectionString(port, password), name: healthCheckKey);

        return builder.AddLocalServer(InfrastructureNames.Redis, Recipes.Redis(Path.Combine(folder.Path, "redis"), port, password), port,
                server => ReferenceExpression.Create(
                    $"127.0.0.1:{server.Endpoint.Property(EndpointProperty.Port)},password={passwordParameter.Resource}"))
            .WithHealthCheck(healthCheckKey);
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddLocalRabbitMq(this IDistributedApplicationBuilder builder,
        DataFolder folder)
    {
        var password = Recipes.NewPassword();
        var passwordParameter = builder.AddParameter($"{InfrastructureNames.RabbitMq}-password", password, secret: true);
        var baseDirectory = folder.Sub("rabbitmq");

        var epmdPort = Ports.FreeLoopbackPort();
        var epmdSpec = Recipes.Epmd(epmdPort, baseDirectory);
        var epmdCheckKey = $"{InfrastructureNames.RabbitMq}-epmd_check";
        builder.Services.AddHealthChecks().AddAsyncCheck(epmdCheckKey, cancellationToken => TcpAnswersAsync(epmdPort, cancellationToken));
        var epmd = builder.AddExecutable($"{InfrastructureNames.RabbitMq}-epmd", epmdSpec.Command, epmdSpec.WorkingDirectory,
            [.. epmdSpec.Args])
            .WithEndpoint(port: epmdPort, targetPort: epmdPort, scheme: "tcp", name: LocalServerResource.EndpointName, isProxied: false)
            .WithHealthCheck(epmdCheckKey);

        var port = Ports.FreeLoopbackPort();
        var spec = Recipes.RabbitMq(baseDirectory, port, Ports.FreeLoopbackPort(), epmdPort, password, logToStdout: true);
        var connectionString = Recipes.RabbitMqConnectionString(port, password);
        var healthCheckKey = $"{InfrastructureNames.RabbitMq}_check";
        builder.Services.AddHealthChecks()
            .AddAsyncCheck(healthCheckKey, cancellationToken => AmqpAnswersAsync(connectionString, cancellationToken));

        var rabbitMq = builder.AddLocalServer(InfrastructureNames.RabbitMq, spec, port,
                server =>
                {
                    var serverPort = server.Endpoint.Property(EndpointProperty.Port);
                    return ReferenceExpression.Create(
                        $"amqp://{Recipes.RabbitMqUser}:{passwordParameter.Resource}@127.0.0.1:{serverPort}");
                })
            .WithHealthCheck(healthCheckKey)
            .WaitFor(epmd);
        epmd.WithParentRelationship(rabbitMq);
        return rabbitMq;
    }

    private static IResourceBuilder<LocalServerResource> AddLocalServer(this IDistributedApplicationBuilder builder, string name,
        ProcessSpec spec, int port,
        Func<LocalServerResource, ReferenceExpression> connectionString)
    {
        var resource = new LocalServerResource(name, spec.Command, spec.WorkingDirectory, connectionString);
        var resourceBuilder = builder.AddResource(resource)
            .WithArgs([.. spec.Args])
            // Not proxied: the server listens on the port itself, so nothing sits between the services and it.
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: LocalServerResource.EndpointName, isProxied: false);
        foreach (var (key, value) in spec.Environment)
        {
            resourceBuilder.WithEnvironment(key, value);
        }

        return resourceBuilder;
    }

    private static async Task<HealthCheckResult> TcpAnswersAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (SocketException exception)
        {
            return HealthCheckResult.Unhealthy(exception.Message);
        }
    }

    private static async Task<HealthCheckResult> AmqpAnswersAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            var factory = new ConnectionFactory { Uri = new Uri(connectionString) };
            await using var connection = await factory.CreateConnectionAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy(exception.Message);
        }
    }
}
