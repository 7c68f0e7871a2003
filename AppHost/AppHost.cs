using Microsoft.Extensions.Configuration;
using FlexWhere.AppHost;
using FlexWhere.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

var mode = builder.ExecutionContext.IsPublishMode
    ? InfrastructureMode.External
    : InfrastructureModeSelector.Select(
        builder.Configuration[InfrastructureModeSelector.SettingKey],
        InfrastructureModeSelector.ContainerEngineAnswers,
        FlexWhere.LocalServers.DebianServers.Missing);
var infrastructure = mode switch
{
    InfrastructureMode.External => builder.AddExternalInfrastructure(),
    InfrastructureMode.Containers => builder.AddContainerInfrastructure(),
    _ => builder.AddLocalInfrastructure(),
};

var codeHashKey = builder.AddGeneratedSecret("challenges-code-hash-key");
var internalApiKey = builder.AddGeneratedSecret("internal-api-key");
// Every process is on loopback, so the services tell the Gateway from any other local caller by this
// secret; only with it do they believe its X-Forwarded-For.
var gatewaySecret = builder.AddGeneratedSecret("gateway-secret");
var jwtSigningKey = builder.AddParameter("accounts-jwt-signing-key", new RsaSigningKeyDefault(), secret: true, persist: true);
// Encrypts Accounts' Data Protection keys before they are stored in PostgreSQL.
var dataProtectionCertificate = builder.AddParameter("accounts-data-protection-certificate",
    new CertificateDefault("FlexWhere Accounts Data Protection"), secret: true, persist: true);

// Applies Accounts' migrations (and the Development seed) and exits, as the deployment's Job does; Accounts
// starts once it exited with 0. Kept up for its health check it idled through every test run: the workers of a whole
// ./test.sh took 32 CPU seconds then and 22 since (docs/testing.md).
var accountsMigrations = builder.AddProject<Projects.Accounts_MigrationService>("accounts-migrations", launchProfileName: null)
    .WithReference(infrastructure.AccountsDatabase).WaitFor(infrastructure.AccountsDatabase)
    .WithHttpEndpoint().InAppHostEnvironment().WithEnvironment("Migrations__ExitWhenDone", "true").RunsItsBuild();

var accounts = builder.AddProject<Projects.Accounts>("accounts")
    .WithReference(infrastructure.AccountsDatabase).WaitFor(infrastructure.AccountsDatabase)
    // Invitations and password links leave by RabbitMQ (SendEmail, through Accounts' outbox).
    .WithReference(infrastructure.RabbitMq).WaitFor(infrastructure.RabbitMq)
    .WaitForCompletion(accountsMigrations)
    .WithEnvironment("Tokens__SigningKeyPem", jwtSigningKey)
    .WithEnvironment("DataProtection__Certificate", dataProtectionCertificate)
    .WithEnvironment("ForwardedHeaders__GatewaySecret", gatewaySecret)
    .WithServiceHealthCheck()
    .RunsItsBuild();

var challenges = builder.AddProject<Projects.Challenges>("challenges")
    .WithReference(infrastructure.Redis).WaitFor(infrastructure.Redis)
    .WithReference(infrastructure.RabbitMq).WaitFor(infrastructure.RabbitMq)
    .WithEnvironment("Challenges__CodeHashKey", codeHashKey)
    .WithEnvironment("InternalApi__Key", internalApiKey)
    .WithServiceHealthCheck()
    .RunsItsBuild();

// A FlexWhere operator's key for POST /operator/organisations on Accounts (not routed by the Gateway): docs/api.md, "Operators".
accounts.WithEnvironment("Operators__Keys__developer", builder.AddGeneratedSecret("operator-key"));

// Accounts orchestrates sign-in: it asks Challenges for SMS codes with the shared service key.
accounts.WithReference(challenges).WithEnvironment("InternalApi__Key", internalApiKey);

var notifier = builder.AddProject<Projects.Notifier>("notifier")
    .WithReference(infrastructure.RabbitMq).WaitFor(infrastructure.RabbitMq)
    .WithReference(infrastructure.Redis).WaitFor(infrastructure.Redis)
    .WithEnvironment("ForwardedHeaders__GatewaySecret", gatewaySecret)
    .WithServiceHealthCheck()
    .RunsItsBuild();

// Twilio credentials and the mail server come only from the AppHost's user secrets or environment
// (Twilio:AccountSid, Smtp:Host, …) and reach the Notifier only when set; without them it keeps SMS and
// e-mail in its development inboxes.
var twilioSettings = notifier.WithSettingsFrom(builder, "Twilio", secret: "AuthToken");
var smtpSettings = notifier.WithSettingsFrom(builder, "Smtp", secret: "Password");
if (twilioSettings == 0)
{
    notifier.WithUrlForEndpoint("http", endpoint =>
        new ResourceUrlAnnotation { Url = $"{endpoint.Url}/dev/sms/view", DisplayText = "Development SMS inbox" });
}
if (smtpSettings == 0)
{
    notifier.WithUrlForEndpoint("http", endpoint =>
        new ResourceUrlAnnotation { Url = $"{endpoint.Url}/dev/mail/view", DisplayText = "Development mail inbox" });
}

// The only resource with an external endpoint: clients reach the services through it alone.
var gatewayPort = builder.Configuration.GetValue("Gateway:Port", 5080);
var gateway = builder.AddProject<Projects.Gateway>("gateway", launchProfileName: null)
    .WithHttpEndpoint(port: gatewayPort, name: "http")
    .WithExternalHttpEndpoints()
    .WithReference(infrastructure.Redis).WaitFor(infrastructure.Redis)
    .WithReference(accounts).WaitFor(accounts)
    .WithReference(challenges).WaitFor(challenges)
    .WithReference(notifier).WaitFor(notifier)
    .WithEnvironment("ForwardedHeaders__GatewaySecret", gatewaySecret)
    .WithHttpHealthCheck(HealthPaths.Readiness)
    .InAppHostEnvironment()
    .RunsItsBuild();

// Links in invitations and password e-mails open the Control Centre that the Gateway serves.
accounts.WithEnvironment("AccountLinks__PublicBaseUrl", gateway.GetEndpoint("http"));

// --Replicas=2 runs every service twice behind Aspire's proxy: the reliability suite checks that
// limits, lockouts and one-SMS-per-message hold across replicas (their state lives in Redis or PostgreSQL).
var replicas = builder.Configuration.GetValue("Replicas", 1);
if (replicas > 1)
{
    accounts.WithReplicas(replicas);
    challenges.WithReplicas(replicas);
    notifier.WithReplicas(replicas);
    gateway.WithReplicas(replicas);
}

builder.AnnounceWhenReady(gateway, mode);

builder.Build().Run();
