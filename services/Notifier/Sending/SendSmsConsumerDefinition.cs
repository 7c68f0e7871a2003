using MassTransit;

namespace FlexWhere.Notifier.Sending;

/// <summary>
/// The queue <c>send-sms</c>: durable, a bounded number of messages at a time, and MassTransit's
/// retry as the second resilience layer (after the provider pipeline), kept small because each retry
/// runs the whole pipeline again. After the last retry the message goes to <c>send-sms_error</c>.
/// </summary>
public sealed class SendSmsConsumerDefinition : ConsumerDefinition<SendSmsConsumer>
{
    private readonly SendingOptions _options;

    public SendSmsConsumerDefinition(IOptions<SendingOptions> options)
    {
        _options = options.Value;
        EndpointName = "send-sms";
        ConcurrentMessageLimit = _options.ConcurrentMessageLimit;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<SendSmsConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit) rabbit.Durable = true;

        endpointConfigurator.UseMessageRetry(retry =>
        {
            if (_options.RetryLimit == 0) retry.None();
            else retry.Exponential(_options.RetryLimit, _options.RetryMinInterval, _options.RetryMaxInterval, _options.RetryMinInterval);
            retry.Ignore<Providers.SmsSendException>(failure => failure.Permanent);
            retry.Ignore<SmsGivenUpException>();
        });
    }
}
