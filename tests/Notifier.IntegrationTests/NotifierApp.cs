using System.Net;
using FlexWhere.Testing;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>
/// The Notifier as the service runs it (its Program, in memory), for tests of its HTTP side. Ready (its bus
/// consuming) before the test uses it, and its bus stopped before the host goes (see
/// <see cref="NotifierHost.WaitUntilBusStartedAsync"/>).
/// </summary>
public sealed class NotifierApp : IAsyncDisposable
{
    private NotifierApp(ServiceFactory<Program> factory)
    {
        Factory = factory;
        Client = factory.CreateClient();
    }

    public ServiceFactory<Program> Factory { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => Factory.Services;

    /// <summary>Starts the service; with <paramref name="brokerReachable"/> false (a broker that is down on
    /// purpose) it does not wait for readiness, and its bus never consumes anywhere.</summary>
    public static async Task<NotifierApp> StartAsync(IEnumerable<(string Key, string? Value)> settings, bool brokerReachable = true)
    {
        var app = new NotifierApp(new ServiceFactory<Program>([.. settings]));
        if (!brokerReachable) return app;
        var (code, _, raw) = await HealthProbe.WaitForReadinessAsync(app.Client, HttpStatusCode.OK, TimeSpan.FromMinutes(1));
        Assert.True(code == HttpStatusCode.OK, $"The Notifier did not become ready: {raw}");
        await NotifierHost.WaitUntilBusStartedAsync(app.Services);
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        await NotifierHost.StopBusAsync(Services);
        await Factory.DisposeAsync();
    }
}
