using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class MessagingExtensions
{
    /// <summary>The AppHost's RabbitMQ resource; its connection string is an amqp:// URI.</summary>
    public const string ConnectionName = "rabbitmq";

    /// <summary>
    /// MassTransit over the AppHost's RabbitMQ. The bus registers its own readiness check, so a
    /// service whose broker is down reports unhealthy at /health.
    /// </summary>
    public static TBuilder AddMessaging<TBuilder>(this TBuilder builder, Action<IBusRegistrationConfigurator>? configure = null)
        where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString) || !Uri.TryCreate(connectionString, UriKind.Absolute, out var brokerUri))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionName} is missing or not an amqp:// URI. Run the services through the AppHost " +
                $"(dotnet run --project AppHost), or set ConnectionStrings__{ConnectionName}=amqp://user:password@host:5672.");
        }

        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            configure?.Invoke(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(brokerUri);
                rabbit.ConfigureEndpoints(context);
            });
        });

        return builder;
    }
}
