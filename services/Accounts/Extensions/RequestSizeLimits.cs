using Microsoft.AspNetCore.Http.Metadata;

namespace FlexWhere.Accounts;

/// <summary>Refuses a body larger than the endpoint allows (64 KiB unless it says otherwise) before
/// anything reads it. Kestrel enforces the same metadata for bodies without Content-Length.</summary>
public static class RequestSizeLimits
{
    public const long DefaultMaxBodyBytes = 64 * 1024;

    public static IApplicationBuilder UseRequestSizeLimits(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var limit = http.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? DefaultMaxBodyBytes;
        if (http.Request.ContentLength > limit)
        {
            await new ApiProblem(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "The request is too large.",
                $"Send at most {limit / 1024} KiB in one request.").WriteAsync(http);
            return;
        }

        var feature = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = limit;
        await next(http);
    });
}
