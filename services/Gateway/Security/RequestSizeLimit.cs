using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Model;

namespace FlexWhere.Gateway.Security;

public static class RequestSizeLimit
{
    /// <summary>
    /// Refuses a declared body over the limit (the route's MaxRequestBodySize, else the Gateway's)
    /// before anything is forwarded, with a problem that says the limit. A body without a declared
    /// length is cut off by Kestrel at the same limit.
    /// </summary>
    public static IApplicationBuilder UseRequestSizeLimit(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.MaxRequestBodySize
            ?? context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxRequestBodyBytes;
        if (limit > 0 && context.Request.ContentLength > limit)
        {
            return new ApiProblem(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "Request too large",
                $"The request body is larger than the {limit / 1024} KiB this endpoint accepts.").WriteAsync(context);
        }

        if (limit > 0 && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        return next(context);
    });
}
