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

    /// <summary>Every service's queues: kebab-case names; classic durable queues (quorum queues were tried and taken back,
    /// docs/operations.md).</summary>
    public static void UseQueueConventions(IBusRegistrationConfigurator bus)
    {
        bus.SetKebabCaseEndpointNameFormatter();
    }

    /// <summary>The broker and the consumers' endpoints.</summary>
    public static void UseBroker(IRabbitMqBusFactoryConfigurator rabbit, IBusRegistrationContext context, Uri broker)
    {
        rabbit.Host(broker);
        rabbit.ConfigureEndpoints(context);
    }
}
