using System.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace FlexWhere.Gateway.UnitTests;

/// <summary>ServiceDefaults' OpenTelemetry: recorded when there is somewhere to send it, not otherwise.</summary>
public sealed class TelemetryDefaultsTests
{
    [Fact]
    public async Task Without_an_OTLP_endpoint_no_span_is_recorded()
    {
        var (sourceName, host) = await StartAsync(endpoint: null);
        using (host)
        {
            using var source = new ActivitySource(sourceName);
            Assert.False(source.HasListeners());
        }
    }

    [Fact]
    public async Task With_an_OTLP_endpoint_spans_are_recorded()
    {
        var (sourceName, host) = await StartAsync(endpoint: "http://127.0.0.1:4317");
        using (host)
        {
            using var source = new ActivitySource(sourceName);
            Assert.True(source.HasListeners());
        }
    }

    [Fact]
    public async Task OTEL_SDK_DISABLED_set_by_the_operator_wins_over_the_endpoint()
    {
        var (sourceName, host) = await StartAsync(endpoint: "http://127.0.0.1:4317", sdkDisabled: "true");
        using (host)
        {
            using var source = new ActivitySource(sourceName);
            Assert.False(source.HasListeners());
        }
    }

    /// <summary>
    /// Aspire's Redis tracing profiles every command from the moment the connection exists, listener or not, so it follows
    /// the same rule as the SDK: on with an endpoint, off without one, and the operator's OTEL_SDK_DISABLED wins either way.
    /// Its registration is what is looked at: the profiler itself is internal to the connection.
    /// </summary>
    [Theory]
    [InlineData(null, null, false)]
    [InlineData("http://127.0.0.1:4317", null, true)]
    [InlineData("http://127.0.0.1:4317", "true", false)]
    [InlineData("http://127.0.0.1:4317", " TRUE ", false)]
    [InlineData(null, "false", true)]
    public void The_Redis_client_is_traced_only_where_telemetry_is_recorded(string? endpoint, string? sdkDisabled, bool traced)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;
        builder.Configuration["OTEL_SDK_DISABLED"] = sdkDisabled;
        builder.Configuration["ConnectionStrings:redis"] = "127.0.0.1:1,abortConnect=false";
        builder.AddServiceDefaults();
        builder.AddRedisStore("redis");

        Assert.Equal(traced, builder.Services.Any(service => service.ServiceType.FullName
            == "OpenTelemetry.Instrumentation.StackExchangeRedis.StackExchangeRedisInstrumentation"));
    }

    /// <summary>A host with the service defaults; the application name, one of the traced sources, is
    /// unique per test so other hosts in this process cannot add listeners to it.</summary>
    private static async Task<(string SourceName, IHost Host)> StartAsync(string? endpoint, string? sdkDisabled = null)
    {
        var name = $"telemetry-test-{Guid.NewGuid():N}";
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = name,
            EnvironmentName = "Production" });
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;
        builder.Configuration["OTEL_SDK_DISABLED"] = sdkDisabled;
        builder.AddServiceDefaults();
        var host = builder.Build();
        await host.StartAsync();
        return (name, host);
    }
}
