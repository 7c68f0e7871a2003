using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

public static class HealthEndpoints
{
    /// <summary>Readiness: every registered check, dependencies included, except those of services behind (<see cref="DownstreamTag"/>).</summary>
    public const string ReadinessPath = "/health";

    /// <summary>The Gateway's report on the services behind it: for dashboards and alerts, never for its load balancer.</summary>
    public const string DownstreamPath = "/health/downstream";

    /// <summary>A check of another service: reported at <see cref="DownstreamPath"/>, not part of this service's readiness, so
    /// one service's outage does not take every service in front of it out of the load balancer.</summary>
    public const string DownstreamTag = "downstream";

    /// <summary>Liveness: only the checks tagged <see cref="LiveTag"/>.</summary>
    public const string LivenessPath = "/alive";

    public const string LiveTag = "live";
}

/// <summary>
/// What every FlexWhere service shares: telemetry, health endpoints, service discovery,
/// HTTP client resilience and RFC 9457 problem details.
/// </summary>
public static class Extensions
{
    // Activity sources and meters of the libraries the services use; Npgsql's come with the Aspire integration too.
    private static readonly string[] TelemetrySources = ["MassTransit", "Npgsql", "Yarp.ReverseProxy", "FlexWhere"];

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.AddDefaultProblemDetails();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // The one retry layer for plain service-to-service HTTP. Clients with their own Polly
            // pipeline (the Notifier's SMS provider) remove it with RemoveAllResilienceHandlers().
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    /// <summary>The standard switch of the OpenTelemetry SDK: true makes every provider a no-op.</summary>
    public const string SdkDisabledKey = "OTEL_SDK_DISABLED";

    /// <summary>Where OpenTelemetry exports to over OTLP; without it <see cref="ConfigureOpenTelemetry{TBuilder}"/> switches the
    /// SDK off.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Whether this service records telemetry, by the rule of <see cref="ConfigureOpenTelemetry{TBuilder}"/> (whether or not it
    /// has run yet): OTEL_SDK_DISABLED when the operator set it, else whether there is an OTLP endpoint. For instrumentation
    /// that records before anything listens, such as the Redis client's command profiler, which the SDK's switch does not reach.
    /// </summary>
    public static bool RecordsTelemetry(IConfiguration configuration) => configuration[SdkDisabledKey] is { } disabled
        && !string.IsNullOrWhiteSpace(disabled)
            ? !string.Equals(disabled.Trim(), "true", StringComparison.OrdinalIgnoreCase)
            : !string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey]);

    /// <summary>
    /// Traces, metrics and logs through OpenTelemetry, exported over OTLP to the endpoint in
    /// OTEL_EXPORTER_OTLP_ENDPOINT (the AppHost sets it to its dashboard; production sets its collector).
    /// Without an endpoint nothing would leave the process, yet recording it cost CPU on every request
    /// and message (docs/benchmarks.md, before and after: the Notifier 1.2-1.3 → 0.9-1.0 ms per SMS,
    /// the Gateway about 10 % per proxied request): then the SDK is switched off, unless
    /// OTEL_SDK_DISABLED says otherwise.
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Where the operator left OTEL_SDK_DISABLED unset, RecordsTelemetry's rule decides it: no endpoint, no SDK.
        if (string.IsNullOrWhiteSpace(builder.Configuration[SdkDisabledKey]) && !RecordsTelemetry(builder.Configuration))
        {
            builder.Configuration[SdkDisabledKey] = "true";
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(TelemetrySources))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetrySources)
                .AddAspNetCoreInstrumentation(options =>
                    // Probes every few seconds would drown the traces that matter.
                    options.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpoints.ReadinessPath)
                        && !context.Request.Path.StartsWithSegments(HealthEndpoints.LivenessPath))
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointKey]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Liveness says only that the process answers; readiness (/health) runs every registered
        // dependency check, so a service whose database or broker is down is reported unhealthy.
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [HealthEndpoints.LiveTag]);
        return builder;
    }

    public static TBuilder AddDefaultProblemDetails<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddProblemDetails(options =>
            options.CustomizeProblemDetails = context =>
            {
                context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
                context.ProblemDetails.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier);
                // Problems the framework writes itself (routing, authorization, the validation filter) get a
                // code and a detail too, so every client can switch on the member (docs/problems.md).
                var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
                context.ProblemDetails.Extensions.TryAdd(ApiProblem.CodeMember, ProblemCodes.ForStatus(status));
                // The validation filter (ApiProblem always has a detail) lists the fields: by their JSON names,
                // as the client sent them, and in one line for a person.
                if (context.ProblemDetails is HttpValidationProblemDetails { Detail: null, Errors.Count: > 0 } validation)
                {
                    validation.Errors = validation.Errors.ToDictionary(e => JsonName(e.Key), e => e.Value, StringComparer.Ordinal);
                    validation.Title = ApiProblem.ValidationTitle;
                    validation.Detail = ApiProblem.Describe(validation.Errors);
                }

                context.ProblemDetails.Detail ??= DefaultDetail(status, context.HttpContext.Request.Method);
            });
        return builder;
    }

    /// <summary>"Users[3].DisplayName" → "users[3].displayName", the names System.Text.Json's web defaults use.</summary>
    private static string JsonName(string path) =>
        string.Join('.', path.Split('.').Select(segment => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(segment)));

    /// <summary>What a person can do about a problem the framework wrote without a detail (a bare status code).</summary>
    private static string DefaultDetail(int status, string method) => status switch
    {
        StatusCodes.Status400BadRequest => "The request is not valid: check it against the API description and send it again.",
        StatusCodes.Status401Unauthorized => "Sign in first: this request needs an access token (Authorization: Bearer …).",
        StatusCodes.Status403Forbidden => "You may not do this. Ask your administrator if you need to.",
        StatusCodes.Status404NotFound => "There is nothing at this address: check the path.",
        StatusCodes.Status405MethodNotAllowed => $"This address does not take {method} requests: check the method.",
        StatusCodes.Status413PayloadTooLarge => "The body is larger than this endpoint accepts: send less in one request.",
        StatusCodes.Status415UnsupportedMediaType => "Send the body as JSON with Content-Type: application/json.",
        StatusCodes.Status429TooManyRequests => "Too many requests: wait a moment, then try again.",
        StatusCodes.Status503ServiceUnavailable => "The service is briefly unavailable: try again in a few seconds.",
        _ => "Something went wrong on our side. Try again; if it keeps happening, tell your administrator the traceId.",
    };

    /// <summary>
    /// Maps /health (readiness: all checks) and /alive (liveness). They are mapped in every
    /// environment because the AppHost, the Gateway and orchestrators probe them; the answers carry
    /// only check names and states, never exception details.
    /// </summary>
    /// <summary>A readiness report of the checks <paramref name="predicate"/> picks: 200 only when every one is healthy.</summary>
    public static void MapReadiness(this WebApplication app, string path, Func<HealthCheckRegistration, bool> predicate) =>
        app.MapHealthChecks(path, new HealthCheckOptions
        {
            Predicate = predicate,
            ResponseWriter = HealthResponseWriter.WriteAsync,
            // Not ready is not ready: MassTransit reports its consumers as Degraded while it cannot
            // reach the broker, which the default mapping would answer with 200.
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        })
            .DisableHttpMetrics()
            .AllowAnonymous();

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseDefaultErrorHandling();

        app.MapReadiness(HealthEndpoints.ReadinessPath, check => !check.Tags.Contains(HealthEndpoints.DownstreamTag));
        app.MapHealthChecks(HealthEndpoints.LivenessPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(HealthEndpoints.LiveTag),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        }).DisableHttpMetrics().AllowAnonymous();

        return app;
    }

    /// <summary>
    /// Unhandled exceptions and bare status codes become problem details (no stack trace reaches a
    /// client). Idempotent, so a service that needs it early in its pipeline can call it first.
    /// </summary>
    public static WebApplication UseDefaultErrorHandling(this WebApplication app)
    {
        const string key = "FlexWhere.DefaultErrorHandling";
        var properties = ((IApplicationBuilder)app).Properties;
        if (properties.ContainsKey(key)) return app;
        properties[key] = true;
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}
