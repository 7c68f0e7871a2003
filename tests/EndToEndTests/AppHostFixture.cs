using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using FlexWhere.LocalServers;

namespace FlexWhere.EndToEndTests;

/// <summary>The whole stack, booted once for the collection from the real AppHost (local servers
/// where no container engine answers), on a free Gateway port so a running developer stack does not clash.
/// The reliability suite derives from it (AppHost arguments, resource settings, captured logs).</summary>
public class AppHostFixture : IAsyncLifetime
{
    public static readonly string[] Services = ["accounts", "challenges", "notifier", "gateway"];
    /// <summary>How long the stack may take to become healthy.</summary>
    protected virtual TimeSpan StartTimeout => TimeSpan.FromMinutes(3);

    /// <summary>The shortest code lifetime Challenges allows, so a test can watch a code expire.</summary>
    public static readonly TimeSpan CodeTtl = TimeSpan.FromSeconds(30);

    public DistributedApplication App { get; private set; } = null!;

    public HttpClient Gateway { get; private set; } = null!;

    /// <summary>Arguments for the AppHost besides the Gateway's port.</summary>
    protected virtual IEnumerable<string> Arguments => [];

    /// <summary>Changes to the application model before it is built.</summary>
    protected virtual void Configure(IDistributedApplicationTestingBuilder builder)
    {
    }

    /// <summary>Runs once the app has started, before the services are waited for.</summary>
    protected virtual Task StartedAsync() => Task.CompletedTask;

    public virtual async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [$"--Gateway:Port={Ports.FreeLoopbackPort()}", .. Arguments], timeout.Token);
        builder.CreateResourceBuilder<ProjectResource>("challenges").WithEnvironment("Challenges__CodeTtl", CodeTtl.ToString());
        Configure(builder);
        App = await builder.BuildAsync(timeout.Token);
        await App.StartAsync(timeout.Token);
        await StartedAsync();
        foreach (var service in Services)
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(service, timeout.Token);
        }

        Gateway = App.CreateHttpClient("gateway");
    }

    public virtual async Task DisposeAsync()
    {
        Gateway?.Dispose();
        if (App is not null) await App.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "apphost";
}
