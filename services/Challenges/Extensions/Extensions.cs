using FlexWhere.Challenges;
using FlexWhere.Challenges.Apis;
using Microsoft.Extensions.DependencyInjection.Extensions;

public static class Extensions
{
    public const string RedisConnectionName = "redis";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ChallengeOptions>()
            .BindConfiguration(ChallengeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<LimitOptions>()
            .BindConfiguration(LimitOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<InternalApiKeys>().BindConfiguration(InternalApiOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<InternalApiKeys>, InternalApiKeysValidator>();

        // Registers the Redis readiness check; MassTransit adds the broker's.
        builder.AddRedisStore(RedisConnectionName);
        builder.AddMessaging(bus => bus.AddConsumer<DeliveryReportConsumer>(typeof(DeliveryReportConsumerDefinition)));
        builder.AddDefaultOpenApi();
        // A body that does not bind answers 400 validation_failed with errors, as the endpoints' own checks do.
        builder.AddRequestValidation();
        builder.Services.AddValidation();

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<CodeHasher>();
        builder.Services.AddSingleton(services => new RedisKeys(services.GetRequiredService<CodeHasher>().Pseudonymise));
        builder.Services.AddSingleton<ChallengeStore>();
        builder.Services.AddSingleton<SendLimiter>();
        builder.Services.AddSingleton<ChallengeIssuer>();
        builder.Services.AddSingleton<ChallengeVerifier>();
        builder.Services.AddSingleton<NoticeSender>();
        builder.Services.AddSingleton<InternalApiKeyFilter>();
        builder.Services.AddExceptionHandler<StoreUnavailableHandler>();
    }

    public static WebApplication MapChallengesApis(this WebApplication app)
    {
        app.MapInternalChallengesApi();
        app.MapInternalNoticesApi();
        return app;
    }
}
