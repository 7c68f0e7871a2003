using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace FlexWhere.Testing;

/// <summary>One service in memory, with the settings the AppHost would give it (connection strings,
/// secrets). <typeparamref name="TEntryPoint"/> is the service's Program.</summary>
public sealed class ServiceFactory<TEntryPoint>(params (string Key, string? Value)[] settings) : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    /// <summary>Replaces services after the service registered its own (e.g. a FakeTimeProvider).</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        if (TestServices is not null) builder.ConfigureTestServices(TestServices);
    }
}
