using Aspire.Hosting;
using Aspire.Hosting.Testing;
using FlexWhere.LocalServers;

namespace FlexWhere.EndToEndTests;

/// <summary>The whole stack, booted once for the collection from the real AppHost (local servers
/// where no container engine answers), on a free Gateway port so a running developer stack does not clash.</summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public static readonly string[] Services = ["accounts", "challenges", "notifier", "gateway"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The shortest code lifetime Challenges allows, so a test can watch a code expire.</summary>
    public static readonly TimeSpan CodeTtl = TimeSpan.FromSeconds(30);

    public DistributedApplication App { get; private set; } = null!;

    public HttpClient Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [$"--Gateway:Port={Ports.FreeLoopbackPort()}"], timeout.Token);
        builder.CreateResourceBuilder<ProjectResource>("challenges").WithEnvironment("Challenges__CodeTtl", CodeTtl.ToString());
        App = await builder.BuildAsync(timeout.Token);
        await App.StartAsync(timeout.Token);
        foreach (var service in Services)
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(service, timeout.Token);
        }

        Gateway = App.CreateHttpClient("gateway");
    }

    public async Task DisposeAsync()
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
