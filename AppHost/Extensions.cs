using System.Reflection;
using FlexWhere.AppHost.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlexWhere.AppHost;

public static class HealthPaths
{
    public const string Readiness = "/health";
}

internal static class Extensions
{
    /// <summary>A service without a launch profile gets an HTTP endpoint on a free port, and the
    /// dashboard reports it healthy only when its readiness endpoint (its own dependencies) is.</summary>
    public static IResourceBuilder<ProjectResource> WithServiceHealthCheck(this IResourceBuilder<ProjectResource> project) =>
        project.WithHttpEndpoint().WithHttpHealthCheck(HealthPaths.Readiness).InAppHostEnvironment();

    /// <summary>
    /// Starts the project's built assembly (<c>dotnet bin/…/X.dll</c>) instead of Aspire's <c>dotnet run --no-build</c>, which
    /// evaluates the project with MSBuild before every process it starts: about 2.5 CPU seconds each, 76–86 CPU seconds
    /// of a whole <c>./test.sh</c> (docs/testing.md). Same working directory (the project's folder), same environment
    /// and arguments. The AppHost's own build builds every project it references; where the assembly is missing, or under
    /// <c>dotnet watch</c>, Aspire's launch stays.
    /// </summary>
    public static IResourceBuilder<ProjectResource> RunsItsBuild(this IResourceBuilder<ProjectResource> project)
    {
        var builder = project.ApplicationBuilder;
        // dotnet watch sets DOTNET_WATCH=1.
        if (!builder.ExecutionContext.IsRunMode || builder.Configuration["DOTNET_WATCH"] is "1" or "true" or "True") return project;
        var projectPath = project.Resource.GetProjectMetadata().ProjectPath;
        var directory = Path.GetDirectoryName(projectPath)!;
        var assembly = Path.Combine(directory, OutputFolder, $"{Path.GetFileNameWithoutExtension(projectPath)}.dll");
        if (!File.Exists(assembly)) return project;
        return project.WithAnnotation(new ExecutableAnnotation { Command = "dotnet", WorkingDirectory = directory },
                ResourceAnnotationMutationBehavior.Replace)
            .WithArgs(assembly);
    }

    // bin/<configuration>/<framework>: the services share the AppHost's target framework and are built in its configuration.
    private static readonly string OutputFolder = typeof(Extensions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(metadata => metadata.Key == "ProjectOutputFolder").Value!;

    /// <summary>A project without a launch profile would run as Production; the services follow the
    /// AppHost's environment instead (Development under <c>dotnet run</c>: the seed, the SMS inbox).</summary>
    public static IResourceBuilder<ProjectResource> InAppHostEnvironment(this IResourceBuilder<ProjectResource> project)
    {
        var environment = project.ApplicationBuilder.Environment.EnvironmentName;
        return project.WithEnvironment("ASPNETCORE_ENVIRONMENT", environment).WithEnvironment("DOTNET_ENVIRONMENT", environment);
    }

    /// <summary>
    /// A secret the services need, as an Aspire parameter: taken from configuration (user secrets,
    /// <c>Parameters__name</c>) when set, else generated once and kept in the AppHost's user secrets.
    /// Never in the repository.
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddGeneratedSecret(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);

    /// <summary>Passes the AppHost's settings of one section (<c>Twilio:AccountSid</c>, …) to the resource as
    /// environment variables; <paramref name="secret"/> becomes a secret parameter, so the dashboard masks it.
    /// Returns how many were set.</summary>
    public static int WithSettingsFrom(this IResourceBuilder<ProjectResource> resource, IDistributedApplicationBuilder builder,
        string section, string secret)
    {
        var settings = builder.Configuration.GetSection(section).GetChildren().Where(setting => !string.IsNullOrWhiteSpace(setting.Value))
            .ToList();
        foreach (var setting in settings)
        {
            if (setting.Key.Equals(secret, StringComparison.OrdinalIgnoreCase))
            {
                // twilio-auth-token, smtp-password
                var name = System.Text.RegularExpressions.Regex.Replace($"{section}-{secret}", "(?<=[a-z])([A-Z])", "-$1")
                    .ToLowerInvariant();
                var parameter = builder.AddParameter(name, setting.Value!, secret: true);
                resource.WithEnvironment($"{section}__{secret}", parameter);
            }
            else
            {
                resource.WithEnvironment($"{section}__{setting.Key}", setting.Value);
            }
        }

        return settings.Count;
    }

    /// <summary>Prints where to go once the Gateway is ready.</summary>
    public static void AnnounceWhenReady(this IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> gateway,
        InfrastructureMode mode)
    {
        builder.Eventing.Subscribe<ResourceReadyEvent>(gateway.Resource, (@event, _) =>
        {
            var logger = @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FlexWhere");
            var dashboard = builder.Configuration["ASPNETCORE_URLS"]?.Split(';').FirstOrDefault() ?? "(see above)";
            logger.LogInformation(
                "FlexWhere is ready ({Mode} infrastructure). Gateway: {GatewayUrl}  Dashboard: {DashboardUrl}",
                mode, gateway.Resource.GetEndpoint("http").Url, dashboard);
            return Task.CompletedTask;
        });
    }
}
