using System.Security.Cryptography;
using System.Text;

namespace FlexWhere.Challenges.Apis;

/// <summary>Only services holding the shared key reach the internal API.</summary>
public sealed class InternalApiKeyFilter(IOptions<InternalApiOptions> options) : IEndpointFilter
{
    // Comparing fixed-length digests keeps the comparison constant-time even in the key's length.
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.Key));

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var presented = context.HttpContext.Request.Headers[InternalApiOptions.HeaderName].ToString();
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        if (presented.Length > 0 && CryptographicOperations.FixedTimeEquals(digest, _expected)) return next(context);

        return ValueTask.FromResult<object?>(new ApiProblem(StatusCodes.Status401Unauthorized, ProblemCodes.UnauthorizedService,
            "Service not authenticated", $"Internal endpoints need the service key in the {InternalApiOptions.HeaderName} header."));
    }
}

public static class InternalApiGroups
{
    /// <summary>A group of the internal API: behind the service key, and out of the OpenAPI document.</summary>
    public static RouteGroupBuilder MapInternalGroup(this IEndpointRouteBuilder app, string prefix, string tag) =>
        app.MapGroup(prefix).WithTags(tag).AddEndpointFilter<InternalApiKeyFilter>().ExcludeFromDescription();
}
