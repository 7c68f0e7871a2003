using Microsoft.Extensions.Configuration;
using FlexWhere.AppHost;
using FlexWhere.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

var mode = InfrastructureModeSelector.Select(
    builder.Configuration[InfrastructureModeSelector.SettingKey],
    InfrastructureModeSelector.ContainerEngineAnswers,
    FlexWhere.LocalServers.DebianServers.Missing);
var infrastructure = mode == InfrastructureMode.Containers
    ? builder.AddContainerInfrastructure()
    : builder.AddLocalInfrastructure();

var codeHashKey = builder.AddGeneratedSecret("challenges-code-hash-key");

var accounts = builder.AddProject<Projects.Accounts>("accounts")
    .WithReference(infrastructure.AccountsDatabase).WaitFor(infrastructure.AccountsDatabase)
    .WithServiceHealthCheck();

var challenges = builder.AddProject<Projects.Challenges>("challenges")
    .WithReference(infrastructure.Redis).WaitFor(infrastructure.Redis)
    .WithReference(infrastructure.RabbitMq).WaitFor(infrastructure.RabbitMq)
    .WithEnvironment("Challenges__CodeHashKey", codeHashKey)
    .WithServiceHealthCheck();

var notifier = builder.AddProject<Projects.Notifier>("notifier")
    .WithReference(infrastructure.RabbitMq).WaitFor(infrastructure.RabbitMq)
    .WithReference(infrastructure.Redis).WaitFor(infrastructure.Redis)
    .WithServiceHealthCheck();

// Twilio credentials come only from the AppHost's user secrets or environment (Twilio:AccountSid, …)
// and reach the Notifier only when set; without them it keeps SMS in its development inbox.
var twilioSettings = builder.Configuration.GetSection("Twilio").GetChildren()
    .Where(setting => !string.IsNullOrWhiteSpace(setting.Value)).ToList();
foreach (var setting in twilioSettings) notifier.WithEnvironment($"Twilio__{setting.Key}", setting.Value);
if (twilioSettings.Count == 0)
{
    notifier.WithUrlForEndpoint("http", endpoint => new ResourceUrlAnnotation { Url = $"{endpoint.Url}/dev/sms/view", DisplayText = "Development SMS inbox" });
}

// The only resource with an external endpoint: clients reach the services through it alone.
var gatewayPort = builder.Configuration.GetValue("Gateway:Port", 5080);
var gateway = builder.AddProject<Projects.Gateway>("gateway", launchProfileName: null)
    .WithHttpEndpoint(port: gatewayPort, name: "http")
    .WithExternalHttpEndpoints()
    .WithReference(accounts).WaitFor(accounts)
    .WithReference(challenges).WaitFor(challenges)
    .WithReference(notifier).WaitFor(notifier)
    .WithHttpHealthCheck(HealthPaths.Readiness);

// Projects without a launch profile would run as Production. The Notifier's development inbox and
// the Gateway's /dev/sms routes exist only in Development, so these two follow the AppHost's environment.
notifier.WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName);
gateway.WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName);

builder.AnnounceWhenReady(gateway, mode);

builder.Build().Run();
