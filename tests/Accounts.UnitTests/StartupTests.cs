using FlexWhere.Testing;

namespace FlexWhere.Accounts.UnitTests;

public class StartupTests
{
    [Fact]
    public void Refuses_to_start_without_the_database_connection_string()
    {
        using var factory = new ServiceFactory<Program>(("ConnectionStrings:accountsdb", ""));

        var error = Assert.Throws<InvalidOperationException>(() => factory.CreateClient());

        Assert.Contains("ConnectionStrings:accountsdb is not set", error.Message);
    }

    [Fact]
    public async Task Is_alive_but_not_ready_while_the_database_does_not_answer()
    {
        using var factory = new ServiceFactory<Program>(
            ("ConnectionStrings:accountsdb", $"Host=127.0.0.1;Port={HealthProbe.ClosedPort()};Username=u;Password=p;Database=d;Timeout=2"));

        await HealthProbe.AssertAliveButNotReadyAsync(factory.CreateClient(), "AccountsDbContext");
    }
}
