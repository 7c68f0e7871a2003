using DotNet.Testcontainers.Configurations;
using FlexWhere.LocalServers;

namespace FlexWhere.Testing;

/// <summary>Where a test's real server comes from, in the order the fixture tries them.</summary>
public enum ServerSource
{
    /// <summary>A server somebody already runs, named by an environment variable.</summary>
    Environment,

    /// <summary>A throwaway container, when a container engine answers (Testcontainers).</summary>
    Container,

    /// <summary>A throwaway server from Debian's packages on loopback.</summary>
    Local,
}

public static class ServerSources
{
    public const string HowToProvideServers =
        "Integration tests need real PostgreSQL, Redis and RabbitMQ servers, and none could be had. " +
        "Either set FLEXWHERE_TEST_POSTGRES (an Npgsql connection string for a role with CREATEDB), " +
        "FLEXWHERE_TEST_REDIS (a StackExchange.Redis configuration string) and FLEXWHERE_TEST_RABBITMQ " +
        "(an amqp:// URI); or start Docker; or install the servers with " +
        "'sudo apt-get install -y " + DebianServers.Packages + "' (./test.sh does this for you).";

    private static readonly Lazy<bool> ContainerEngineAnswers = new(() =>
    {
        try
        {
            return TestcontainersSettings.OS.DockerEndpointAuthConfig is not null;
        }
        catch (Exception)
        {
            return false;
        }
    });

    /// <summary>The environment variable's value when set, else the first source available here (a container
    /// only when <paramref name="mayUseContainer"/>).</summary>
    public static (ServerSource Source, string? ConnectionString) Choose(string? environmentVariable, string debianPackage,
        bool mayUseContainer = true)
    {
        var fromEnvironment = environmentVariable is null ? null : System.Environment.GetEnvironmentVariable(environmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return (ServerSource.Environment, fromEnvironment);
        if (mayUseContainer && ContainerEngineAnswers.Value) return (ServerSource.Container, null);
        if (!DebianServers.Missing().Contains(debianPackage)) return (ServerSource.Local, null);
        throw new InvalidOperationException(HowToProvideServers);
    }
}
