using FlexWhere.Testing;

namespace FlexWhere.Gateway.UnitTests;

public class StartupTests
{
    [Fact]
    public async Task Is_alive_but_not_ready_while_no_service_behind_it_answers()
    {
        var closed = $"http://127.0.0.1:{HealthProbe.ClosedPort()}";
        using var gateway = new ServiceFactory<Program>(
            ("services:accounts:http:0", closed),
            ("services:challenges:http:0", closed),
            ("services:notifier:http:0", closed));

        await HealthProbe.AssertAliveButNotReadyAsync(gateway.CreateClient(),
            "downstream-accounts", "downstream-challenges", "downstream-notifier");
    }
}
