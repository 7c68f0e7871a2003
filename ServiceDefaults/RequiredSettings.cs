namespace Microsoft.Extensions.Hosting;

public static class RequiredSettings
{
    /// <summary>
    /// The named connection string, or a start-up failure that says how to provide it: a service
    /// started without its dependencies should say so at once, not at the first request.
    /// </summary>
    public static string RequireConnectionString(this IHostApplicationBuilder builder, string name, string example)
    {
        var value = builder.Configuration.GetConnectionString(name);
        return string.IsNullOrWhiteSpace(value)
            ? throw new InvalidOperationException(
                $"ConnectionStrings:{name} is not set. Run the services through the AppHost (dotnet run --project AppHost), " +
                $"or set ConnectionStrings__{name} to {example}.")
            : value;
    }
}
