using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class MessagingExtensions
{
    /// <summary>The AppHost's RabbitMQ resource; its connection string is an amqp:// URI.</summary>
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
        const string example = "an amqp:// URI such as amqp://user:password@127.0.0.1:5672";
        var connectionString = builder.RequireConnectionString(ConnectionName, example);
        if (!Uri.TryCreate(connectionString, UriKind.Absolute, out var brokerUri) || brokerUri.Scheme is not ("amqp" or "amqps"))
        {
            throw new InvalidOperationException($"ConnectionStrings:{ConnectionName} must be {example}.");
        }

        builder.Services.AddMassTransit(bus =>
        {
            UseQueueConventions(bus);
            configure?.Invoke(bus);
            bus.UsingRabbitMq((context, rabbit) => UseBroker(rabbit, context, brokerUri));
        });

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
    public static void UseBroker(IRabbitMqBusFactoryConfigurator rabbit, IBusRegistrationContext context, Uri broker)
    {
        rabbit.Host(broker);
        rabbit.SendTopology.ConfigureErrorSettings = error => error.SetQuorumQueue();
        rabbit.SendTopology.ConfigureDeadLetterSettings = skipped => skipped.SetQuorumQueue();
        rabbit.ConfigureEndpoints(context);
    }
}
