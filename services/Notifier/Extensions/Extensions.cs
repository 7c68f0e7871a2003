public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // MassTransit registers the broker's readiness check.
        builder.AddMessaging();
        builder.AddDefaultOpenApi();
    }
}
