using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;

namespace Microsoft.Extensions.Hosting;

public static class OpenApiDefaults
{
    /// <summary>The bearer (JWT access token) scheme, under the name the Gateway's merged document uses too.</summary>
    public const string BearerScheme = "Bearer";

    /// <summary>
    /// The service's OpenAPI document, which the Gateway merges into the one public document. It names
    /// no server: clients reach the service only through the Gateway, and the service's own address is
    /// internal. An endpoint that requires authorization is marked with the bearer scheme, so the
    /// merged document shows it even where the Gateway's route lets anonymous callers through
    /// (the step-up under /api/auth).
    /// </summary>
    public static TBuilder AddDefaultOpenApi<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Servers = [];
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
                {
                    var bearer = new OpenApiSecuritySchemeReference(BearerScheme, context.Document);
                    operation.Security = [new OpenApiSecurityRequirement { [bearer] = [] }];
                }

                return Task.CompletedTask;
            });
        });
        return builder;
    }
}
