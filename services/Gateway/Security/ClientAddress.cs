using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;
using Yarp.ReverseProxy.Transforms.Builder;

namespace FlexWhere.Gateway.Security;

/// <summary>
/// Which proxies in front of the Gateway may name the client (<c>ForwardedHeaders:*</c>), and the
/// secret with which the Gateway proves itself to the services behind it.
/// </summary>
public sealed class ForwardingOptions : IValidatableObject
{
    public const string SectionName = "ForwardedHeaders";

    /// <summary>Addresses of load balancers whose X-Forwarded-For is believed; none by default, loopback included.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>The same as networks in CIDR form, such as 10.0.0.0/8.</summary>
    public string[] KnownNetworks { get; set; } = [];

    [Required(ErrorMessage = $"{GatewayForwarding.SecretSetting} is not set: run through the AppHost (parameter gateway-secret) or set " +
        $"ForwardedHeaders__GatewaySecret, the same value the services get.")]
    [MinLength(GatewayForwarding.MinimumSecretLength, ErrorMessage = "ForwardedHeaders:GatewaySecret must be at least 32 characters.")]
    public string? GatewaySecret { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in KnownProxies.Where(proxy => !IPAddress.TryParse(proxy, out _)))
        {
            yield return new ValidationResult($"ForwardedHeaders:KnownProxies: '{proxy}' is not an IP address.");
        }

        foreach (var network in KnownNetworks.Where(network => !IPNetwork.TryParse(network, out _)))
        {
            yield return new ValidationResult($"ForwardedHeaders:KnownNetworks: '{network}' is not a network in CIDR form such as " +
                $"10.0.0.0/8.");
        }
    }
}

public static class ClientAddress
{
    public static void AddClientAddress(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ForwardingOptions>()
            .BindConfiguration(ForwardingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var forwarding = Configured(builder.Configuration);
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The defaults trust loopback, and under the AppHost every client is on loopback.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in forwarding.KnownProxies)
            {
                if (IPAddress.TryParse(proxy, out var address)) options.KnownProxies.Add(address);
            }

            foreach (var network in forwarding.KnownNetworks)
            {
                if (IPNetwork.TryParse(network, out var parsed)) options.KnownIPNetworks.Add(parsed);
            }
        });
    }

    /// <summary>
    /// Believes X-Forwarded-For only from the configured proxies. With none configured the middleware
    /// is left out altogether: given two empty lists it would believe every peer.
    /// </summary>
    public static IApplicationBuilder UseClientAddress(this IApplicationBuilder app)
    {
        var forwarding = Configured(app.ApplicationServices.GetRequiredService<IConfiguration>());
        return forwarding.KnownProxies.Length + forwarding.KnownNetworks.Length > 0 ? app.UseForwardedHeaders() : app;
    }

    /// <summary>
    /// What the services hear: the address the Gateway determined, replacing whatever X-Forwarded-*
    /// the client sent, and the gateway secret that makes the services believe it.
    /// </summary>
    public static void AddForwardingTransforms(this TransformBuilderContext transforms, string gatewaySecret)
    {
        transforms.UseDefaultForwarders = false;
        transforms.AddXForwarded(ForwardedTransformActions.Set);
        transforms.AddRequestTransform(context =>
        {
            context.ProxyRequest.Headers.Remove(GatewayForwarding.SecretHeader);
            context.ProxyRequest.Headers.TryAddWithoutValidation(GatewayForwarding.SecretHeader, gatewaySecret);
            return ValueTask.CompletedTask;
        });
    }

    private static ForwardingOptions Configured(IConfiguration configuration) =>
        configuration.GetSection(ForwardingOptions.SectionName).Get<ForwardingOptions>() ?? new ForwardingOptions();
}
