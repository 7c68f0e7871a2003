using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>
/// The whole AppHost, as for the end-to-end tests, with Challenges' send limits raised. These tests
/// text the three seed users, who share one number prefix and one client address, several codes a
/// minute (the admin alone gets six in the run, three in the step-up test): the SMS-pumping limits that
/// guard production (3 a minute and 5 in 10 minutes per number, 10 per prefix, 20 per address) would
/// count them all together and refuse the later tests' codes.
/// </summary>
public sealed class BrowserStackFixture : AppHostFixture
{
    protected override void Configure(IDistributedApplicationTestingBuilder builder) =>
        builder.CreateResourceBuilder<ProjectResource>("challenges")
            .WithEnvironment("Challenges__Limits__PerDestination", "50")
            .WithEnvironment("Challenges__Limits__SendsPerDestination", "50")
            .WithEnvironment("Challenges__Limits__PerUser", "100")
            .WithEnvironment("Challenges__Limits__PerNumberPrefix", "200")
            .WithEnvironment("Challenges__Limits__PerClientIp", "200");
}
