namespace FlexWhere.Gateway.Security;

/// <summary>
/// Headers that only the Gateway or a service may set. A client that sends one is not trusted: the
/// header is removed before the request is forwarded. Identity travels downstream only as the
/// signed access token, which every service validates itself.
/// </summary>
public static class IdentityHeaders
{
    private static readonly string[] ReservedPrefixes = ["X-FlexWhere-", "X-Internal-", "X-User-", "X-Forwarded-User", "X-Remote-User"];

    public static void StripReservedHeaders(RequestTransformContext context)
    {
        var forged = context.ProxyRequest.Headers
            .Select(header => header.Key)
            .Where(IsReserved)
            .ToList();
        foreach (var name in forged) context.ProxyRequest.Headers.Remove(name);
    }

    public static bool IsReserved(string headerName) =>
        ReservedPrefixes.Any(prefix => headerName.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
}
