using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The client's address behind the Gateway. Under the AppHost every process talks over loopback, so
/// a peer address cannot tell the Gateway from anyone else on the machine: the Gateway proves itself
/// with a shared secret on every proxied request, and only then is its X-Forwarded-For believed.
/// </summary>
public static class GatewayForwarding
{
    /// <summary>The header the Gateway puts the secret in; never in the reserved X-FlexWhere- range a client may not send.</summary>
    public const string SecretHeader = "X-Gateway-Secret";

    /// <summary>The one setting the Gateway and the services share (AppHost parameter <c>gateway-secret</c>).</summary>
    public const string SecretSetting = "ForwardedHeaders:GatewaySecret";

    public const int MinimumSecretLength = 32;

    private const string ForwardedForHeader = "X-Forwarded-For";

    /// <summary>
    /// Applies the Gateway's X-Forwarded-For to <see cref="ConnectionInfo.RemoteIpAddress"/> when the
    /// request carries the gateway secret; otherwise the peer address stays. Both headers are removed
    /// either way, so nothing later can read a forged address or log the secret.
    /// </summary>
    public static IApplicationBuilder UseGatewayForwardedHeaders(this IApplicationBuilder app)
    {
        var secret = app.ApplicationServices.GetRequiredService<IConfiguration>()[SecretSetting];
        // Hashing both sides gives equal lengths, so the comparison time says nothing about the secret.
        var expected = string.IsNullOrEmpty(secret) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(secret));

        return app.Use((context, next) =>
        {
            var headers = context.Request.Headers;
            var presented = headers[SecretHeader];
            var forwarded = headers[ForwardedForHeader];
            headers.Remove(SecretHeader);
            headers.Remove(ForwardedForHeader);

            if (expected is not null
                && presented.Count == 1
                && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented.ToString())), expected)
                && LastAddress(forwarded.ToString()) is { } client)
            {
                context.Connection.RemoteIpAddress = client;
            }

            return next(context);
        });
    }

    /// <summary>The Gateway sets one address; should a list arrive, the entry nearest the Gateway counts.</summary>
    private static IPAddress? LastAddress(string header)
    {
        var last = header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        if (last is null) return null;
        if (IPAddress.TryParse(last, out var address)) return address;
        return IPEndPoint.TryParse(last, out var endpoint) ? endpoint.Address : null;
    }
}
