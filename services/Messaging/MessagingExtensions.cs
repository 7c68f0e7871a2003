using FlexWhere.Messaging;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

public static class MessagingExtensions
{
    /// <summary>The AppHost's RabbitMQ resource; its connection string is an amqp:// URI (<see cref="BrokerAddress"/>).</summary>
    public const string ConnectionName = "rabbitmq";

    /// <summary>
    /// MassTransit over the AppHost's RabbitMQ. The bus registers its own readiness check, so a
    /// service whose broker is down reports unhealthy at /health, unless <paramref name="brokerGatesReadiness"/>
    /// is false: for a service that only publishes through an outbox and serves without the broker.
    /// </summary>
    public static TBuilder AddMessaging<TBuilder>(this TBuilder builder, Action<IBusRegistrationConfigurator>? configure = null,
        bool brokerGatesReadiness = true)
        where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.RequireConnectionString(ConnectionName, BrokerAddress.Example);
        var broker = BrokerAddress.Parse(connectionString)
            ?? throw new InvalidOperationException($"ConnectionStrings:{ConnectionName} must be {BrokerAddress.Example}.");

        builder.Services.AddMassTransit(bus =>
        {
            UseQueueConventions(bus);
            configure?.Invoke(bus);
            bus.UsingRabbitMq((context, rabbit) => UseBroker(rabbit, context, broker));
        });
        // After MassTransit's hosted service, so the watchdog stops first when the service stops.
        builder.Services.AddReceiveEndpointWatchdog();

        if (!brokerGatesReadiness)
        {
            builder.Services.Configure<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckServiceOptions>(options =>
            {
                foreach (var bus in options.Registrations.Where(check => check.Tags.Contains("masstransit")).ToList())
                {
                    options.Registrations.Remove(bus);
                }
            });
        }

        return builder;
    }

    /// <summary>Starts a receive endpoint again when it stays without a consumer while the broker is reachable
    /// (<see cref="ReceiveEndpointWatchdog"/>). Register it after the bus.</summary>
    public static IServiceCollection AddReceiveEndpointWatchdog(this IServiceCollection services)
    {
        services.AddOptions<EndpointWatchdogOptions>()
            .BindConfiguration(EndpointWatchdogOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // The endpoints' reachability, which the watchdog reads (Challenges' publishes too).
        services.AddSingleton<BrokerReachability>();
        services.AddSingleton<IReceiveEndpointObserver>(provider => provider.GetRequiredService<BrokerReachability>());
        services.AddSingleton<ReceiveEndpointWatchdog>();
        // MassTransit connects every observer in the container to the bus it builds, before the bus starts.
        services.AddSingleton<IReceiveEndpointObserver>(provider => provider.GetRequiredService<ReceiveEndpointWatchdog>());
        services.AddSingleton<IBusObserver>(provider => provider.GetRequiredService<ReceiveEndpointWatchdog>());
        services.AddHostedService(provider => provider.GetRequiredService<ReceiveEndpointWatchdog>());
        services.AddHealthChecks().Add(new HealthCheckRegistration(ReceiveEndpointWatchdog.LivenessCheckName,
            provider => provider.GetRequiredService<ReceiveEndpointWatchdog>(), failureStatus: null, [HealthEndpoints.LiveTag]));
        return services;
    }

    /// <summary>
    /// Every service's queues: kebab-case names, and quorum queues (replicated over a cluster's nodes by Raft,
    /// every message on disk) for each consumer's queue and its <c>_error</c> and <c>_skipped</c> queues: a
    /// message in any of them is an SMS, an e-mail or a delivery report that must survive the loss of a node.
    /// </summary>
    public static void UseQueueConventions(IBusRegistrationConfigurator bus)
    {
        bus.SetKebabCaseEndpointNameFormatter();
        bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
        {
            if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit) rabbit.SetQuorumQueue();
        });
    }

    /// <summary>The broker, quorum <c>_error</c> and <c>_skipped</c> queues, and the consumers' endpoints.</summary>
    public static void UseBroker(IRabbitMqBusFactoryConfigurator rabbit, IBusRegistrationContext context, BrokerAddress broker)
    {
        UseHost(rabbit, broker);
        rabbit.SendTopology.ConfigureErrorSettings = error => error.SetQuorumQueue();
        rabbit.SendTopology.ConfigureDeadLetterSettings = skipped => skipped.SetQuorumQueue();
        rabbit.ConfigureEndpoints(context);
    }

    /// <summary>The broker's node, or a cluster's nodes: the bus connects to the first and, when its node is lost, to the
    /// next in turn.</summary>
    public static void UseHost(IRabbitMqBusFactoryConfigurator rabbit, BrokerAddress broker)
    {
        rabbit.Host(broker.Uri, host =>
        {
            if (!broker.IsCluster) return;
            host.UseCluster(cluster =>
            {
                foreach (var node in broker.Nodes) cluster.Node(node);
            });
        });
    }
}
