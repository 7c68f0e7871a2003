using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace FlexWhere.EndToEndTests.Deployment;

/// <summary>The AppHost's application model in publish mode, built but never started (no server, no service runs).</summary>
public sealed class PublishModeTests
{
    private static readonly string[] Servers = ["accountsdb", "redis", "rabbitmq"];

    [Fact]
    public async Task Publish_mode_names_the_servers_by_connection_string_and_runs_no_server_executable()
    {
        using var model = await PublishModelAsync();

        Assert.True(model.Builder.ExecutionContext.IsPublishMode);
        foreach (var name in Servers)
        {
            var server = Assert.Single(model.Builder.Resources, resource => resource.Name == name);
            // A connection-string parameter: the deployment's value, asked for at publish time.
            Assert.IsAssignableFrom<ParameterResource>(server);
            Assert.IsAssignableFrom<IResourceWithConnectionString>(server);
        }
        Assert.Empty(model.Builder.Resources.OfType<ExecutableResource>());
        Assert.Empty(model.Builder.Resources.OfType<ContainerResource>());
    }

    [Fact]
    public async Task Publish_mode_still_gives_every_service_its_servers_and_secrets()
    {
        using var model = await PublishModelAsync();

        var services = model.Builder.Resources.OfType<ProjectResource>().Select(project => project.Name).Order().ToArray();
        Assert.Equal(["accounts", "accounts-migrations", "challenges", "gateway", "notifier"], services);
        var parameters = model.Builder.Resources.OfType<ParameterResource>().Where(parameter => parameter.Secret)
            .Select(parameter => parameter.Name).ToArray();
        Assert.Superset(
            new HashSet<string>(["accounts-jwt-signing-key", "challenges-code-hash-key", "internal-api-key", "gateway-secret", "operator-key"]),
            new HashSet<string>(parameters));
    }

    private static async Task<PublishModel> PublishModelAsync()
    {
        var output = Directory.CreateTempSubdirectory("flexwhere-publish-");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--operation", "publish", "--publisher", "manifest", "--output-path", output.FullName]);
        return new PublishModel(builder, output);
    }

    private sealed record PublishModel(IDistributedApplicationTestingBuilder Builder, DirectoryInfo Output) : IDisposable
    {
        public void Dispose()
        {
            Builder.Dispose();
            Output.Delete(recursive: true);
        }
    }
}
