using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;

namespace FlexWhere.Gateway.UnitTests;

/// <summary>The Notifier's routes: the development inbox in Development only, Twilio's callback always.</summary>
public sealed class NotifierRouteTests
{
    [Fact]
    public void Routes_the_development_sms_inbox_to_the_notifier_in_development()
    {
        using var gateway = GatewayFactory.WithoutDependencies();

        var routes = Routes(gateway.Services);

        Assert.Equal("notifier", routes["/dev/sms"].ClusterId);
        Assert.Equal("notifier", routes["/dev/sms/view"].ClusterId);
        Assert.Equal(["GET"], routes["/dev/sms"].Match.Methods!);
    }

    [Fact]
    public void Has_no_development_sms_inbox_outside_development()
    {
        using var gateway = GatewayFactory.WithoutDependencies("Production");

        var routes = Routes(gateway.Services);

        Assert.DoesNotContain(routes.Keys, path => path.StartsWith("/dev/", StringComparison.Ordinal));
        Assert.Equal(["POST"], routes["/api/notifier/twilio/status"].Match.Methods!);
    }

    [Fact]
    public void Routes_twilio_status_callbacks_to_the_notifier_by_post_only()
    {
        using var gateway = GatewayFactory.WithoutDependencies();

        var route = Routes(gateway.Services)["/api/notifier/twilio/status"];

        Assert.Equal("notifier", route.ClusterId);
        Assert.Equal(["POST"], route.Match.Methods!);
    }

    private static Dictionary<string, RouteConfig> Routes(IServiceProvider services) =>
        services.GetRequiredService<IProxyConfigProvider>().GetConfig().Routes.ToDictionary(route => route.Match.Path!);
}
