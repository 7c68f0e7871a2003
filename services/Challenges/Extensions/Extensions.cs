using FlexWhere.Challenges;

public static class Extensions
{
    public const string RedisConnectionName = "redis";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ChallengeOptions>()
            .BindConfiguration(ChallengeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Registers the Redis readiness check; MassTransit adds the broker's.
        builder.RequireConnectionString(RedisConnectionName, "a StackExchange.Redis configuration such as 127.0.0.1:6379,password=…");
        builder.AddRedisClient(RedisConnectionName);
        builder.AddMessaging();
        builder.AddDefaultOpenApi();
    }
}
