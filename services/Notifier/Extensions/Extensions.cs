using FlexWhere.Notifier.Callbacks;
using FlexWhere.Notifier.DevInbox;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;

public static class Extensions
{
    public const string RedisConnectionName = "redis";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // No JSON bodies here (Twilio posts a form), but a query or form that does not bind answers like everywhere else.
        builder.AddRequestValidation();
        builder.AddSmsDelivery();
        builder.AddEmailDelivery();
        // MassTransit registers the broker's readiness check.
        builder.AddMessaging(bus =>
        {
            AddSmsConsumers(bus);
            AddEmailConsumers(bus);
        });
        builder.AddDefaultOpenApi();
    }

    public static void AddSmsConsumers(IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<SendSmsConsumer, SendSmsConsumerDefinition>();
        bus.AddConsumer<SendSmsFaultConsumer>();
        bus.AddPublishObserver<RefusedPublishObserver>();
    }

    public static void AddEmailConsumers(IBusRegistrationConfigurator bus) => bus.AddConsumer<SendEmailConsumer, SendEmailConsumerDefinition>();

    /// <summary>The e-mail sender (SMTP, or the development inbox) and its idempotency; needs <see cref="AddSmsDelivery"/>'s Redis.</summary>
    public static void AddEmailDelivery(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EmailIdempotency>();
        // In Development /dev/mail is mapped whatever the sender, as /dev/sms is: without its inbox every request failed.
        if (builder.Environment.IsDevelopment()) builder.Services.AddSingleton<DevMailInbox>();
        if (SmtpOptions.IsConfigured(builder.Configuration))
        {
            builder.Services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddSingleton<IEmailSender, SmtpEmailSender>();
        }
        else if (builder.Environment.IsDevelopment())
        {
            builder.Services.AddSingleton<IEmailSender, DevInboxEmailSender>();
        }
        else
        {
            throw new InvalidOperationException(
                "Smtp:Host is not set. Outside Development the Notifier sends e-mail through a mail server only: " +
                "set Smtp__Host, Smtp__Port, Smtp__From and, where the server asks for them, Smtp__UserName and Smtp__Password.");
        }
    }

    /// <summary>Everything the consumers need except the bus: options, Redis, the provider.</summary>
    public static void AddSmsDelivery(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SendingOptions>()
            .BindConfiguration(SendingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Registers the Redis readiness check: without Redis the Notifier cannot promise one SMS per message.
        builder.AddRedisStore(RedisConnectionName);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SmsIdempotency>();

        if (builder.Environment.IsDevelopment()) builder.Services.AddSingleton<DevSmsInbox>();

        if (TwilioOptions.IsConfigured(builder.Configuration))
        {
            builder.AddTwilioProvider();
        }
        else if (builder.Environment.IsDevelopment())
        {
            builder.Services.AddSingleton<ISmsProvider, DevInboxSmsProvider>();
        }
        else
        {
            throw new InvalidOperationException(
                "Twilio:AccountSid is not set. Outside Development the Notifier sends through Twilio only: " +
                "set Twilio__AccountSid, Twilio__AuthToken, Twilio__From (or Twilio__MessagingServiceSid) and Twilio__StatusCallbackUrl.");
        }
    }

    public static WebApplication MapNotifierEndpoints(this WebApplication app)
    {
        if (app.Environment.IsDevelopment()) app.MapDevInboxApi();
        if (TwilioOptions.IsConfigured(app.Configuration)) app.MapTwilioStatusCallbackApi();
        return app;
    }
}
