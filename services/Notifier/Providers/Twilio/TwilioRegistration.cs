namespace FlexWhere.Notifier.Providers.Twilio;

public static class TwilioRegistration
{
    public static void AddTwilioProvider(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TwilioOptions>()
            .BindConfiguration(TwilioOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<SmsResilienceOptions>()
            .BindConfiguration(SmsResilienceOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<IValidateOptions<Sending.SendingOptions>, ClaimOutlastsPipelineValidation>();

        builder.Services.AddSingleton<SharedSendRate>();
        builder.Services.AddTransient<TwilioBaseUrlHandler>();
        builder.Services.AddTransient<ISmsProvider, TwilioSmsProvider>();

        // Only a backstop: the pipeline's per-attempt timeout is what bounds a hung call, and the
        // rate limiter may legitimately hold a send in its queue for a while.
        var http = builder.Services.AddHttpClient(TwilioSmsProvider.HttpClientName, client => client.Timeout = TimeSpan.FromMinutes(5));

        // ServiceDefaults gives every client the standard resilience handler; under our own pipeline
        // it would multiply the attempts (3 × 3 × MassTransit's), so it is taken off this client.
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked experimental; it is the documented way to opt out.
        http.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        http.AddResilienceHandler("twilio-sms", (pipeline, context) => SmsResiliencePipeline.Configure(
            pipeline,
            context.ServiceProvider.GetRequiredService<IOptions<SmsResilienceOptions>>().Value,
            context.ServiceProvider.GetRequiredService<TimeProvider>(),
            context.ServiceProvider.GetRequiredService<SharedSendRate>()));
        http.AddHttpMessageHandler<TwilioBaseUrlHandler>();
    }
}
