using System.Security.Cryptography;
using FlexWhere.LocalServers;

namespace FlexWhere.Bench;

/// <summary>
/// The services as the Release build left them (<c>dotnet services/X/bin/Release/net10.0/X.dll</c>),
/// each on a free loopback port, in Production with the configuration the AppHost would give them
/// plus the bench's lifted limits (never the shipped defaults: see docs/benchmarks.md).
/// </summary>
public sealed class Services(string repositoryRoot, Servers servers, string logDirectory) : IAsyncDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (ChildProcess Process, string Url)> _running = new();

    public string CodeHashKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    public string InternalApiKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    public string GatewaySecret { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    public Uri? FakeTwilio { get; set; }
    public IReadOnlyDictionary<string, string> Builds { get; init; } = new Dictionary<string, string>();
    public HttpClient Probe { get; } = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>More environment for every service started from now on (the bench's --set, Accounts' signing key).</summary>
    public Dictionary<string, string> Extra { get; } = [];

    public string Url(string service) => _running[service].Url;
    public ChildProcess Process(string service) => _running[service].Process;
    public IReadOnlyList<string> Names => [.. _running.Keys];

    /// <summary>The code lifetime Challenges gets here (its default): P5 dates each challenge's start by its expiry.</summary>
    public static readonly TimeSpan ChallengeCodeTtl = TimeSpan.FromMinutes(5);

    /// <summary>P1's path through the Gateway to Challenges, for this run only: Challenges' own API document. The
    /// Gateway publishes no Challenges route (its API is internal) and only the merged document at /openapi/v1.json.</summary>
    public const string BenchDocumentPath = "/bench/challenges/openapi/v1.json";

    private static readonly IReadOnlyDictionary<string, string> BenchRoute = new Dictionary<string, string>
    {
        ["ReverseProxy__Routes__bench-challenges-document__ClusterId"] = "challenges",
        ["ReverseProxy__Routes__bench-challenges-document__AuthorizationPolicy"] = "anonymous",
        ["ReverseProxy__Routes__bench-challenges-document__RateLimiterPolicy"] = "per-ip",
        ["ReverseProxy__Routes__bench-challenges-document__Match__Path"] = BenchDocumentPath,
        ["ReverseProxy__Routes__bench-challenges-document__Match__Methods__0"] = "GET",
        ["ReverseProxy__Routes__bench-challenges-document__Transforms__0__PathSet"] = "/openapi/v1.json",
    };

    /// <summary>The bench's settings beyond the AppHost's: the limits it lifts (<see cref="BenchLimits"/>), the
    /// provider breaker's sample size, and the code lifetime P5 relies on.</summary>
    public static readonly IReadOnlyDictionary<string, string> BenchEnvironment = new Dictionary<string, string>(BenchLimits.Environment())
    {
        ["Notifier__SmsResilience__BreakerMinimumThroughput"] = "1000",
        ["Challenges__CodeTtl"] = ChallengeCodeTtl.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
    };

    public async Task StartAsync(params string[] names)
    {
        var starting = new List<Task>();
        foreach (var name in names)
        {
            var port = Ports.FreeLoopbackPort();
            var url = $"http://127.0.0.1:{port}";
            var directory = Builds.TryGetValue(name, out var build) ? build
                : Path.Combine(repositoryRoot, "services", name, "bin", "Release", "net10.0");
            var dll = Path.Combine(directory, $"{name}.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: run bench/run.sh (it builds in Release first).");
            var environment = new Dictionary<string, string>(BenchEnvironment)
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["DOTNET_ENVIRONMENT"] = "Production",
                ["ASPNETCORE_URLS"] = url,
                ["ConnectionStrings__redis"] = servers.RedisConnectionString,
                ["ConnectionStrings__rabbitmq"] = servers.RabbitMqConnectionString,
                ["Challenges__CodeHashKey"] = CodeHashKey,
                ["InternalApi__Key"] = InternalApiKey,
                ["ForwardedHeaders__GatewaySecret"] = GatewaySecret,
                // Where links in e-mails point (Accounts); no bench scenario sends one.
                ["AccountLinks__PublicBaseUrl"] = "https://bench.flexwhere.test",
            };
            if (name == "Gateway") foreach (var (key, value) in BenchRoute) environment[key] = value;
            foreach (var (key, value) in Extra) environment[key] = value;
            if (servers.PostgresConnectionString is { } postgres) environment["ConnectionStrings__accountsdb"] = postgres;
            foreach (var (other, (_, otherUrl)) in _running) environment[$"services__{other.ToLowerInvariant()}__http__0"] = otherUrl;
            if (name == "Notifier" && FakeTwilio is { } twilio)
            {
                environment["Twilio__AccountSid"] = FakeTwilioServer.AccountSid;
                environment["Twilio__AuthToken"] = FakeTwilioServer.AuthToken;
                environment["Twilio__From"] = "+3197010000001";
                environment["Twilio__StatusCallbackUrl"] = "https://bench.flexwhere.test/api/notifier/twilio/status";
                environment["Twilio__BaseUrl"] = twilio.ToString();
                // Outside Development the Notifier needs a mail server; no bench scenario sends e-mail.
                environment["Smtp__Host"] = "127.0.0.1";
                environment["Smtp__From"] = "bench@flexwhere.test";
            }

            var process = ChildProcess.Start(name, "dotnet", [dll], environment, directory, logDirectory);
            _running[name] = (process, url);
            // The Gateway is ready only when every service behind it is; the others once their own dependencies answer.
            var path = name == "Gateway" ? "/alive" : "/health";
            starting.Add(Wait.HttpOkAsync(name, Probe, url + path, TimeSpan.FromSeconds(60)));
        }

        await Task.WhenAll(starting);
    }

    public async Task StopAsync(string name)
    {
        if (!_running.TryRemove(name, out var entry)) return;
        await entry.Process.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (process, _) in _running.Values) await process.DisposeAsync();
        _running.Clear();
        Probe.Dispose();
    }
}
