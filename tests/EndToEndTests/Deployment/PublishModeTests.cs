namespace FlexWhere.EndToEndTests.Deployment;

/// <summary>The AppHost in publish mode (<see cref="PublishModel"/>): what a deployment is given.</summary>
public sealed class PublishModeTests
{
    private static readonly string[] Servers = ["accountsdb", "redis", "rabbitmq"];

    [Fact]
    public async Task Publish_mode_names_the_servers_by_connection_string_and_runs_no_server_executable()
    {
        using var model = await PublishModel.BuildAsync();

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
        using var model = await PublishModel.BuildAsync();

        var services = model.Builder.Resources.OfType<ProjectResource>().Select(project => project.Name).Order().ToArray();
        Assert.Equal(["accounts", "accounts-migrations", "challenges", "gateway", "notifier"], services);
        var parameters = model.Builder.Resources.OfType<ParameterResource>().Where(parameter => parameter.Secret)
            .Select(parameter => parameter.Name).ToArray();
        Assert.Superset(
            new HashSet<string>(["accounts-jwt-signing-key", "challenges-code-hash-key", "internal-api-key", "gateway-secret", "operator-key"]),
            new HashSet<string>(parameters));
    }
}
