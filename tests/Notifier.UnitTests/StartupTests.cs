using FlexWhere.Testing;

namespace FlexWhere.Notifier.UnitTests;

public class StartupTests
{
    [Theory]
    [InlineData("")]
    [InlineData("not a uri")]
    public void Refuses_to_start_without_a_broker_uri(string connectionString)
    {
        using var factory = new ServiceFactory<Program>(("ConnectionStrings:rabbitmq", connectionString));

        var error = Assert.Throws<InvalidOperationException>(() => factory.CreateClient());

        Assert.Contains("ConnectionStrings:rabbitmq", error.Message);
        Assert.Contains("amqp://", error.Message);
    }

    [Fact]
    public async Task Is_alive_but_not_ready_while_the_broker_does_not_answer()
    {
        using var factory = new ServiceFactory<Program>(("ConnectionStrings:rabbitmq", $"amqp://u:p@127.0.0.1:{HealthProbe.ClosedPort()}"));

        await HealthProbe.AssertAliveButNotReadyAsync(factory.CreateClient(), "masstransit-bus");
    }
}
