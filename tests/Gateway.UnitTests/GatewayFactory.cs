using FlexWhere.Testing;

namespace FlexWhere.Gateway.UnitTests;

internal static class GatewayFactory
{
    /// <summary>The Gateway with nothing behind it: no service, no Redis. Development unless told.</summary>
    public static ServiceFactory<Program> WithoutDependencies(string environment = "Development")
    {
        var closed = $"http://127.0.0.1:{HealthProbe.ClosedPort()}";
        return new ServiceFactory<Program>(
            ("environment", environment),
            ("ForwardedHeaders:GatewaySecret", "gateway-secret-for-the-unit-tests-0123456789"),
            ("ConnectionStrings:redis", $"127.0.0.1:{HealthProbe.ClosedPort()},abortConnect=false,connectTimeout=1000"),
            ("services:accounts:http:0", closed),
            ("services:challenges:http:0", closed),
            ("services:notifier:http:0", closed));
    }
}
