using Microsoft.Extensions.DependencyInjection.Extensions;
using Scalar.AspNetCore;

namespace FlexWhere.Gateway.OpenApi;

/// <summary>
/// The one public OpenAPI document at <c>/openapi/v1.json</c> (merged from the services behind the
/// Gateway, see <see cref="PublicApiDocument"/>) and, in Development, Scalar on it at <c>/scalar</c>.
/// </summary>
public static class PublicApiDocumentEndpoints
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string ScalarPath = "/scalar";

    public static void AddPublicApiDocument(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PublicApiDocumentSource>();
        builder.Services.AddOneTryHttpClient(PublicApiDocumentSource.HttpClientName, PublicApiDocumentSource.FetchTimeout);
    }

    public static WebApplication MapPublicApiDocument(this WebApplication app)
    {
        app.MapGet(DocumentPath, async (PublicApiDocumentSource source, CancellationToken cancel) =>
                TypedResults.Text(await source.GetJsonAsync(cancel), "application/json"))
            .AllowAnonymous()
            .RequireRateLimiting(EdgeRateLimits.PerIpPolicy)
            .ExcludeFromDescription();

        if (app.Environment.IsDevelopment())
        {
            app.UseScalarContentSecurityPolicy();
            app.MapScalarApiReference(ScalarPath, options => options
                    .WithTitle("FlexWhere public API")
                    .AddDocument("v1")
                    .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                    .AddPreferredSecuritySchemes(PublicApiDocument.BearerScheme)
                    .DisableDefaultFonts()
                    .WithNonce())
                .AllowAnonymous()
                .RequireRateLimiting(EdgeRateLimits.PerIpPolicy);
        }

        return app;
    }

    /// <summary>
    /// Scalar's page runs one inline module script, which the Gateway's policy for JSON answers
    /// (default-src 'none') would block: its page gets a policy that allows exactly that script, by the
    /// nonce Scalar puts on it, and its own files. Set before the Gateway's default, which then steps aside.
    /// </summary>
    private static void UseScalarContentSecurityPolicy(this WebApplication app) => app.Use((context, next) =>
    {
        if (context.Request.Path.StartsWithSegments(ScalarPath))
        {
            context.Response.OnStarting(() =>
            {
                if (context.Items[ScalarOptions.NonceHttpContextItemKey] is string nonce)
                {
                    context.Response.Headers.ContentSecurityPolicy =
                        $"default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; " +
                        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";
                }

                return Task.CompletedTask;
            });
        }

        return next(context);
    });
}
