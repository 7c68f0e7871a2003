using MassTransit;

namespace FlexWhere.Notifier.Sending;

/// <summary>
/// What every sending queue's definition has: its name, a bounded number of messages at a time, and the
/// endpoint <see cref="SendingOptions.ConfigureSendingEndpoint"/> describes (durable, MassTransit's retry,
/// then the queue's <c>_error</c> queue), with what each consumer calls final.
/// </summary>
public abstract class SendingConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    private readonly SendingOptions _options;

    protected SendingConsumerDefinition(IOptions<SendingOptions> options, string queue)
    {
        _options = options.Value;
        EndpointName = queue;
        ConcurrentMessageLimit = _options.ConcurrentMessageLimit;
    }

    /// <summary>The failures no retry can change: they go to the error queue at once.</summary>
    protected abstract void IgnoreFinal(IRetryConfigurator retry);

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context) =>
        _options.ConfigureSendingEndpoint(endpointConfigurator, IgnoreFinal);
}

/// <summary>The queue <c>send-sms</c>; after the last retry the message goes to <c>send-sms_error</c>.</summary>
public sealed class SendSmsConsumerDefinition(IOptions<SendingOptions> options)
    : SendingConsumerDefinition<SendSmsConsumer>(options, "send-sms")
{
    protected override void IgnoreFinal(IRetryConfigurator retry)
    {
        retry.Ignore<Providers.SmsSendException>(failure => failure.Permanent);
        retry.Ignore<SmsGivenUpException>();
    }
}
