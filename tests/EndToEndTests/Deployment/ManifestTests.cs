using Microsoft.Extensions.Logging.Abstractions;
using k8s.Models;

namespace FlexWhere.EndToEndTests.Deployment;

/// <summary>The Kubernetes manifests in deploy/ (docs/operations.md), rendered offline and checked: valid objects
/// of their kinds, and FlexWhere's rules for them. <c>scripts/check-deploy.sh</c> runs these.</summary>
public sealed class ManifestTests(RenderedManifests manifests) : IClassFixture<RenderedManifests>
{
    public static readonly TheoryData<string> Renders = new(RenderedManifests.Renders);

    private static readonly string[] Services = ["accounts", "challenges", "gateway", "notifier"];

    [Theory, MemberData(nameof(Renders))]
    public void Every_rendered_object_is_a_valid_object_of_its_Kubernetes_kind(string render)
    {
        var objects = manifests.Objects[render];

        Assert.NotEmpty(objects);
        var invalid = objects.Where(rendered => rendered.Error is not null).Select(rendered => $"{rendered.Name}: {rendered.Error}")
            .ToList();
        Assert.True(invalid.Count == 0, string.Join(System.Environment.NewLine, invalid));
        Assert.All(objects, rendered => Assert.False(string.IsNullOrWhiteSpace(rendered.Value!.Metadata?.Name), rendered.Name));
        Assert.All(manifests.All<V1Deployment>(render), deployment =>
        {
            // The API refuses a Deployment whose selector does not select its own pods.
            Assert.Subset(deployment.Spec.Template.Metadata.Labels.ToHashSet(), deployment.Spec.Selector.MatchLabels.ToHashSet());
            Assert.All(deployment.Spec.Template.Spec.Containers, container => Assert.False(string.IsNullOrEmpty(container.Image)));
        });
    }

    [Theory, MemberData(nameof(Renders))]
    public void Every_service_runs_as_a_Deployment_with_health_probes_requests_an_autoscaler_and_a_disruption_budget(string render)
    {
        var deployments = manifests.All<V1Deployment>(render).ToList();

        Assert.Equal(Services, deployments.Select(deployment => deployment.Metadata.Name).Order());
        foreach (var deployment in deployments)
        {
            var name = deployment.Metadata.Name;
            var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
            // ServiceDefaults' HealthEndpoints: /health is the service's readiness, /alive its liveness.
            Assert.Equal("/health", container.ReadinessProbe?.HttpGet?.Path);
            Assert.Equal("/alive", container.LivenessProbe?.HttpGet?.Path);
            Assert.Equal("http", container.ReadinessProbe!.HttpGet.Port.Value);
            Assert.Contains(container.Ports, port => port.Name == "http" && port.ContainerPort == 8080);
            Assert.True(container.Resources?.Requests?.ContainsKey("cpu"), $"{name} requests no CPU");
            Assert.True(container.Resources?.Requests?.ContainsKey("memory"), $"{name} requests no memory");
            Assert.Contains(manifests.All<V2HorizontalPodAutoscaler>(render), autoscaler =>
                autoscaler.Spec.ScaleTargetRef is { Kind: "Deployment" } target && target.Name == name && autoscaler.Spec.MinReplicas >= 2);
            Assert.Contains(manifests.All<V1PodDisruptionBudget>(render), budget =>
                budget.Spec.Selector.MatchLabels.Contains(new("app.kubernetes.io/name", name)));
        }

        var migrations = Assert.Single(manifests.All<V1Job>(render));
        Assert.Contains(Assert.Single(migrations.Spec.Template.Spec.Containers).Env,
            variable => variable is { Name: "Migrations__ExitWhenDone", Value: "true" });
    }

    [Theory, MemberData(nameof(Renders))]
    public void Only_the_Gateway_is_reachable_from_outside_and_only_Accounts_holds_the_key_to_Challenges(string render)
    {
        foreach (var service in manifests.All<V1Service>(render))
        {
            Assert.True(service.Spec.Type is null or "ClusterIP",
                $"Service {service.Metadata.Name} is {service.Spec.Type}: only the Gateway is reached from outside, through the Ingress");
        }
        Assert.All(manifests.All<V1Ingress>(render), ingress => Assert.All(
            ingress.Spec.Rules.SelectMany(rule => rule.Http.Paths), path => Assert.Equal("gateway", path.Backend.Service.Name)));

        var policies = manifests.All<V1NetworkPolicy>(render).ToList();
        var denyAll = Assert.Single(policies, policy => policy.Spec.PodSelector.MatchLabels is null or { Count: 0 }
            && policy.Spec.PodSelector.MatchExpressions is null or { Count: 0 });
        Assert.Equal(["Egress", "Ingress"], denyAll.Spec.PolicyTypes.Order());
        Assert.Null(denyAll.Spec.Ingress);
        foreach (var policy in policies.Where(policy => policy != denyAll))
        {
            var selected = policy.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"];
            var admitted = (policy.Spec.Ingress ?? []).ToList();
            if (selected == "gateway")
            {
                Assert.All(admitted, rule => Assert.Null(rule.FromProperty));
                continue;
            }

            // Every other pod admits only pods of this namespace, by name.
            Assert.All(admitted, rule => Assert.All(rule.FromProperty, peer =>
                Assert.True(peer.PodSelector is not null && peer.NamespaceSelector is null && peer.IpBlock is null, policy.Metadata.Name)));
            var callers = admitted.SelectMany(rule => rule.FromProperty).SelectMany(Names).Order().ToArray();
            Assert.Equal(selected switch
            {
                "challenges" => ["accounts", "gateway"],
                "accounts" or "notifier" => ["gateway"],
                _ => [],
            }, callers);
        }

        // The Gateway reaches Challenges only for its /health and API document; /internal/… needs the key.
        var holders = manifests.All<V1Deployment>(render)
            .Where(deployment => Environment(deployment).Any(variable => variable.Name == "InternalApi__Key"))
            .Select(deployment => deployment.Metadata.Name).Order();
        Assert.Equal(["accounts", "challenges"], holders);
    }

    [Theory, MemberData(nameof(Renders))]
    public void Secrets_are_referenced_never_written_into_the_manifests(string render)
    {
        Assert.Empty(manifests.All<V1Secret>(render));
        foreach (var (name, pod) in Workloads(render))
        {
            foreach (var variable in pod.Containers.SelectMany(container => container.Env ?? []).Where(IsSecret))
            {
                Assert.True(variable.Value is null && variable.ValueFrom?.SecretKeyRef?.Name == "flexwhere-secrets",
                    $"{name}: {variable.Name} must come from the Secret flexwhere-secrets (secretKeyRef)");
            }
        }
    }

    [Fact]
    public async Task Every_setting_the_AppHost_gives_a_service_is_given_to_it_in_production()
    {
        // With a provider and a mail server configured the AppHost passes their settings on, as production must.
        using var model = await PublishModel.BuildAsync(
            "--Twilio:AccountSid=AC" + new string('0', 32), "--Twilio:AuthToken=not-a-token",
            "--Twilio:MessagingServiceSid=MG" + new string('0', 32),
            "--Twilio:StatusCallbackUrl=https://flexwhere.example.com/api/notifier/twilio/status",
            "--Smtp:Host=smtp.example.com", "--Smtp:Port=587", "--Smtp:From=no-reply@flexwhere.example.com",
            "--Smtp:UserName=flexwhere", "--Smtp:Password=password");
        var workloads = Workloads("production").ToDictionary(workload => workload.Name, workload => workload.Pod.Containers
            .SelectMany(container => container.Env ?? []).Select(variable => Operator(variable.Name)).ToHashSet());

        foreach (var project in model.Builder.Resources.OfType<ProjectResource>())
        {
            var given = await ExecutionConfigurationBuilder.Create(project).WithEnvironmentVariablesConfig()
                .BuildAsync(model.Builder.ExecutionContext, NullLogger.Instance, CancellationToken.None);
            Assert.Null(given.Exception);
            var settings = given.EnvironmentVariables.Select(variable => variable.Key).Where(IsServiceSetting).Select(Operator).ToHashSet();
            Assert.True(workloads.TryGetValue(project.Name, out var deployed), $"no Deployment or Job for {project.Name}");
            var missing = settings.Except(deployed).ToList();
            Assert.True(missing.Count == 0, $"{project.Name} is not given {string.Join(", ", missing)} in deploy/");
        }
    }

    /// <summary>Every pod template: the Deployments' and the migrations Job's.</summary>
    private IEnumerable<(string Name, V1PodSpec Pod)> Workloads(string render) =>
        manifests.All<V1Deployment>(render).Select(deployment => (deployment.Metadata.Name, deployment.Spec.Template.Spec))
            .Concat(manifests.All<V1Job>(render).Select(job => (job.Metadata.Name, job.Spec.Template.Spec)));

    private static IEnumerable<V1EnvVar> Environment(V1Deployment deployment) =>
        deployment.Spec.Template.Spec.Containers.SelectMany(container => container.Env ?? []);

    private static IEnumerable<string> Names(V1NetworkPolicyPeer peer) =>
        (peer.PodSelector.MatchLabels ?? new Dictionary<string, string>())
            .Where(label => label.Key == "app.kubernetes.io/name").Select(label => label.Value)
            .Concat((peer.PodSelector.MatchExpressions ?? [])
                .Where(expression => expression is { Key: "app.kubernetes.io/name", OperatorProperty: "In" })
                .SelectMany(expression => expression.Values));

    private static bool IsSecret(V1EnvVar variable) =>
        variable.Name.StartsWith("ConnectionStrings__", StringComparison.Ordinal)
        || new[] { "Key", "Secret", "Password", "Token", "Pem", "AccountSid" }.Any(word => variable.Name.Contains(word, StringComparison.Ordinal));

    /// <summary>The AppHost names its operator "developer"; a deployment names its own.</summary>
    private static string Operator(string name) => name.StartsWith("Operators__Keys__", StringComparison.Ordinal) ? "Operators__Keys__*" : name;

    /// <summary>The AppHost's own plumbing (telemetry to its dashboard, ports, environment name) is not a service
    /// setting: in the cluster the image and Kubernetes provide it. ASPNETCORE_FORWARDEDHEADERS_ENABLED, which Aspire
    /// publishes, is left out on purpose (docs/operations.md, "What runs where").</summary>
    private static bool IsServiceSetting(string name) =>
        !name.StartsWith("OTEL_", StringComparison.Ordinal)
        && !name.StartsWith("ASPNETCORE_", StringComparison.Ordinal)
        && !name.StartsWith("DOTNET_", StringComparison.Ordinal)
        && !name.StartsWith("LOGGING__", StringComparison.OrdinalIgnoreCase)
        && name is not ("HTTP_PORTS" or "HTTPS_PORTS")
        && !(name.StartsWith("services__", StringComparison.Ordinal) && name.Contains("__https__", StringComparison.Ordinal))
        // CHALLENGES_HTTP and the like: Aspire's endpoint variables for other languages; the services resolve
        // "http://challenges" through services__challenges__http__0.
        && !System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Z0-9_]+_HTTPS?$");
}
