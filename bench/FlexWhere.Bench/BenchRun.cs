using System.Globalization;
using System.Runtime.InteropServices;
using StackExchange.Redis;

namespace FlexWhere.Bench;

public sealed record BenchOptions(bool Smoke, HashSet<string> Scenarios, bool Write, string Command, Dictionary<string, string> Settings,
    Dictionary<string, string> Builds)
{
    /// <summary>--p1-seconds N: each measured round of P1, longer than its 10 s for a profiler to sample (docs/benchmarks.md).</summary>
    public TimeSpan? P1Round { get; init; }

    /// <summary>--p2-verifies N: challenges per P2 loop, more than its 20,000 for the same reason.</summary>
    public int? P2Verifies { get; init; }

    public static readonly string[] All = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "Q1"];

    public static BenchOptions Parse(string[] args)
    {
        var smoke = args.Contains("--smoke");
        var only = Value(args, "--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.ToUpperInvariant()).ToHashSet() ?? [.. All];
        var unknown = only.Except(All).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"Unknown scenario(s) {string.Join(',', unknown)}; use " +
            $"{string.Join(',', All)}.");
        var write = !smoke && !args.Contains("--no-write");
        // --set KEY=VALUE: more environment for the services (an experiment; the run is then not the shipped configuration).
        // --build NAME=DIR: run that service from another build output (before/after comparisons).
        return new BenchOptions(smoke, only, write, "bench/run.sh " + string.Join(' ', args), Pairs(args, "--set"), Pairs(args, "--build"))
        {
            P1Round = Positive(args, "--p1-seconds", 600) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            P2Verifies = Positive(args, "--p2-verifies", 1_000_000),
        };
    }

    /// <summary>The whole number after <paramref name="name"/>, from 1 to <paramref name="max"/>, or null when the option is absent.</summary>
    private static int? Positive(string[] args, string name, int max)
    {
        if (Array.IndexOf(args, name) < 0) return null;
        return int.TryParse(Value(args, name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 1
            && value <= max
            ? value
            : throw new ArgumentException($"{name} takes a whole number from 1 to {max.ToString("N0", CultureInfo.InvariantCulture)}.");
    }

    private static Dictionary<string, string> Pairs(string[] args, string name) =>
        args.Select((arg, i) => (arg, i)).Where(a => a.arg == name && a.i + 1 < args.Length)
            .Select(a => args[a.i + 1].Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");

    private static string? Value(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}

public static class BenchRun
{
    private const string BeginMarker = "<!-- bench:begin (written by bench/run.sh; edit outside the markers) -->";
    private const string EndMarker = "<!-- bench:end -->";

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var root = RepositoryRoot();
        var settings = options.Smoke ? BenchSettings.Tiny : BenchSettings.Full;
        var work = Path.Combine(Path.GetTempPath(), $"flexwhere-bench-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        var logs = Directory.CreateDirectory(Path.Combine(work, "logs")).FullName;
        var report = new Report();
        var started = DateTime.UtcNow;
        report.Line($"FlexWhere bench {(options.Smoke ? "SMOKE (tiny counts, not figures)" : "")} {options.Command}");
        report.Line($"machine: {Environment.ProcessorCount} cores ({CpuModel()}), {MemoryTotal()} memory, " +
            $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}; load at start {Report.LoadAverage()}");
        report.Line($"tools: {Nginx.Version()}; settings: warm-up {settings.WarmUp.TotalSeconds} s, measured " +
            $"{settings.Duration.TotalSeconds} s, {settings.Concurrency} connections, {settings.Rounds} round(s), {settings.Verifies} " +
            $"verifies per loop, {settings.Messages} SMS per round");
        if (options.P1Round is { } round) report.Line($"P1 measures {round.TotalSeconds} s a round (--p1-seconds)");
        if (options.P2Verifies is { } verifies) report.Line($"P2 verifies {verifies} challenges a loop (--p2-verifies)");
        report.Line($"logs: {logs}");
        foreach (var limit in BenchLimits.Reachable(Environment.ProcessorCount))
        {
            report.Line($"WARNING: {limit.Setting} {limit.Value} per {limit.Window:c} is within reach of {Environment.ProcessorCount} " +
                $"cores (up to {limit.MostPerWindow(Environment.ProcessorCount)}): raise it in BenchLimits");
        }

        var needStack = options.Scenarios.Overlaps(["P1", "P2", "P3", "P4", "P5", "P7", "Q1"]);
        var needAccounts = options.Scenarios.Overlaps(["P3", "P5", "P7"]);
        var ratios = new Dictionary<string, double>();
        Dictionary<(string Phase, string Name), long> peaks = [];
        try
        {
            if (needStack)
            {
                await using var servers = await Servers.StartAsync(needAccounts, logs);
                report.Line($"servers up (private Redis, RabbitMQ{(needAccounts ? ", PostgreSQL" : "")} on loopback) at " +
                    $"+{(DateTime.UtcNow - started).TotalSeconds:N0} s");
                await using var twilio = await FakeTwilioServer.StartAsync();
                await using var services = new Services(root, servers, logs) { FakeTwilio = twilio.BaseUrl, Builds = options.Builds };
                foreach (var (key, value) in options.Settings) services.Extra[key] = value;
                await using var redis = await ConnectionMultiplexer.ConnectAsync(servers.RedisConnectionString);
                var seeder = new ChallengeSeeder(redis, services.CodeHashKey);
                Nginx? nginx = null;
                await using var rss = new RssSampler(() => services.Names.Select(n => (n, services.Process(n).RssBytes))
                    .Concat(nginx is null ? [] : [("nginx", nginx.RssBytes)]));

                await services.StartAsync("Challenges", "Notifier");
                if (needAccounts) await AccountsScenarios.StartAsync(services, servers);
                await services.StartAsync("Gateway");
                report.Line($"services up ({string.Join(", ", services.Names)}) at +{(DateTime.UtcNow - started).TotalSeconds:N0} s; " +
                    $"idle RSS: " +
                    string.Join(", ", services.Names.Select(n => $"{n} {services.Process(n).RssBytes / 1048576.0:N0} MiB")));
                await Task.Delay(TimeSpan.FromSeconds(2));
                rss.Sample();

                if (options.Scenarios.Contains("P1")) await Scenario(report, "P1", async () =>
                {
                    nginx = await Nginx.StartAsync(services.Url("Challenges"), Path.Combine(work, "nginx"), logs, services.Probe);
                    var p1 = await HttpScenarios.ProxyAsync(report,
                        settings with { Duration = options.P1Round ?? settings.Duration }, services, nginx, seeder, rss);
                    var gateway = p1["Gateway (YARP) → Challenges"];
                    var direct = p1["direct to Challenges"].Rate;
                    var viaNginx = p1["nginx → Challenges"].Rate;
                    report.Ratio("P1 Gateway / direct", gateway.Rate / direct, "≥ 0.85", gateway.Rate / direct >= 0.85,
                        Budget(0.85, direct, gateway, "Gateway", "the Gateway", "request", $"nginx / direct: {viaNginx / direct:N2}"));
                    report.Ratio("P1 Gateway / nginx", gateway.Rate / viaNginx, "≥ 1.0", gateway.Rate / viaNginx >= 1.0,
                        Budget(1.0, viaNginx, gateway, "Gateway", "the Gateway", "request",
                            $"nginx used {CpuBudget.Time(p1["nginx → Challenges"].LastRound.Of("nginx"))}"));
                    await nginx.DisposeAsync();
                    nginx = null;
                });

                if (options.Scenarios.Contains("P2")) await Scenario(report, "P2", async () =>
                {
                    var p2 = await HttpScenarios.VerifyAsync(report,
                        settings with { Verifies = options.P2Verifies ?? settings.Verifies }, services, seeder, redis, rss);
                    var http = p2["Challenges HTTP verify (direct)"];
                    var raw = p2["raw StackExchange.Redis (HGET + EVALSHA)"].Rate;
                    report.Ratio("P2 Challenges verify / raw Redis", http.Rate / raw, "≥ 0.7", http.Rate / raw >= 0.7,
                        Budget(0.7, raw, http, "Challenges", "Challenges", "verify"));
                });

                var signIns = string.Join('/', new[] { "P3", "P5", "P7" }.Where(options.Scenarios.Contains));
                if (needAccounts) await Scenario(report, signIns, () =>
                    AccountsScenarios.RunAsync(report, settings, options, services, servers, twilio, rss));

                if (options.Scenarios.Contains("P4")) await Scenario(report, "P4", async () =>
                {
                    // The Notifier alone, as in production where it has cores of its own.
                    await services.StopAsync("Gateway");
                    await services.StopAsync("Accounts");
                    await services.StopAsync("Challenges");
                    var (notifier, raw, perSms) =
                        await NotifierScenario.RunAsync(report, settings, servers.RabbitMqConnectionString, twilio, rss);
                    report.Ratio("P4 Notifier / raw RabbitMQ", notifier.Rate / raw, "≥ 0.5", notifier.Rate / raw >= 0.5,
                        Budget(0.5, raw, notifier, "Notifier", "the Notifier", "SMS"));
                    report.Ratio("P4 Notifier CPU per SMS (last round) / 200 µs", perSms / 200, "≤ 1.0", perSms <= 200,
                        $"{perSms:N0} µs; per SMS the Notifier does four Redis round trips (claim, send-rate slot, provider-id " +
                            "mapping, sent record), the provider call and a publish confirm, with " +
                            "Notifier:Sending:ConcurrentMessageLimit messages in flight");
                });

                if (options.Scenarios.Contains("Q1")) await Scenario(report, "Q1", () =>
                    QueueScenario.RunAsync(report, settings, servers.RabbitMqConnectionString));

                rss.Sample();
                peaks = new(rss.Peaks);
            }

            if (options.Scenarios.Contains("P6")) await Scenario(report, "P6", async () =>
            {
                var (coldStart, idle) = await AppHostScenario.RunAsync(report, root, logs);
                report.Row("P6 AppHost", "cold start to all healthy (--Infra=local)", $"{coldStart.TotalSeconds:N1} s", "–", "–",
                    $"load {Report.LoadAverage()}");
                var four = AppHostScenario.ServiceNames.Sum(n => idle.GetValueOrDefault(n));
                report.Row("P6 AppHost", "RSS idle, four services", $"{four / 1048576.0:N0} MiB", "–", "–",
                    string.Join(", ", idle.Select(kv => $"{kv.Key} {kv.Value / 1048576.0:N0} MiB")));
                report.Ratio("P6 cold start / 8 s", coldStart.TotalSeconds / 8, "≤ 1.0", coldStart.TotalSeconds <= 8);
                report.Ratio("P6 idle RSS of the four services / 400 MB", four / 400e6, "≤ 1.0", four <= 400e6);
            });

            if (peaks.Count > 0)
            {
                foreach (var phase in peaks.Keys.Select(k => k.Phase).Distinct().Order())
                {
                    var line = string.Join(", ", peaks.Where(kv => kv.Key.Phase == phase).Select(kv =>
                        $"{kv.Key.Name} {kv.Value / 1048576.0:N0} MiB"));
                    report.Line($"peak RSS during {phase}: {line}");
                }

                var underLoad = AppHostScenario.ServiceNames.Sum(name => peaks.Where(kv => kv.Key.Name == name).Select(kv => kv.Value)
                    .DefaultIfEmpty(0).Max());
                report.Row("P6 memory", "RSS peak under load, four services (bench processes, Production)",
                    $"{underLoad / 1048576.0:N0} MiB", "–", "–",
                    "highest sample per service over all phases; services not started count 0");
                report.Ratio("P6 RSS under load of the four services / 800 MB", underLoad / 800e6, "≤ 1.0", underLoad <= 800e6);
            }
        }
        catch (Exception exception)
        {
            report.Line($"FAILED: {exception.GetType().Name}: {exception.Message}");
            report.Line($"logs kept in {logs}");
            Console.Error.WriteLine(exception);
            return 1;
        }

        report.Line($"done in {(DateTime.UtcNow - started).TotalSeconds:N0} s; load at end {Report.LoadAverage()}");
        var header = $"### Run of {started:yyyy-MM-dd HH:mm} UTC ({(options.Smoke ? "smoke" : "full")})\n\n" +
            $"Command: `{options.Command.Trim()}`. Machine: {Environment.ProcessorCount} cores ({CpuModel()}), {MemoryTotal()}, " +
            $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}. Load average at start and end in the raw output; " +
            "the cores are shared with other work, so compare the ratios (same run, same cores), not the absolute rates.";
        var markdown = report.Markdown(header);
        if (options.Write) WriteSection(Path.Combine(root, "docs", "benchmarks.md"), markdown);
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (report.AnyFailed) Console.Error.WriteLine("bench: a scenario FAILED (see its status above); its figures are no result");
        return report.ExitCode;
    }

    /// <summary>What the target leaves <paramref name="part"/>, from the variant's last round (<see cref="CpuBudget"/>).</summary>
    private static string Budget(double target, double peerRate, Measured measured, string part, string called, string operation,
        string? note = null) =>
        CpuBudget.Describe(target, peerRate, Environment.ProcessorCount, measured.LastRound, part, called, operation, note);

    /// <summary>A scenario that fails is reported as such and the run goes on: the others' figures still count.
    /// <paramref name="names"/> are the scenarios the body runs ("P3/P5").</summary>
    private static async Task Scenario(Report report, string names, Func<Task> body)
    {
        var scenarios = names.Split('/');
        try
        {
            await body();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            report.Line($"{names} did not complete: {exception.GetType().Name}: {exception.Message}");
            var message = exception.Message.ReplaceLineEndings(" ");
            var reason = $"did not complete: {exception.GetType().Name}: {(message.Length > 120 ? message[..120] + "…" : message)}";
            foreach (var scenario in scenarios) report.Failures(scenario).Add(reason);
        }

        foreach (var scenario in scenarios) report.Status(scenario);
    }

    private static void WriteSection(string file, string markdown)
    {
        var text = File.Exists(file) ? File.ReadAllText(file) : "# Benchmarks\n";
        var begin = text.IndexOf(BeginMarker, StringComparison.Ordinal);
        var end = text.IndexOf(EndMarker, StringComparison.Ordinal);
        var section = $"{BeginMarker}\n{markdown}{EndMarker}";
        text = begin >= 0 && end > begin
            ? text[..begin] + section + text[(end + EndMarker.Length)..]
            : text.TrimEnd() + "\n\n## Latest run\n\n" + section + "\n";
        File.WriteAllText(file, text);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FlexWhere.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("Run from inside the repository (FlexWhere.sln not found above the current directory).");
    }

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            ?? "unknown CPU";

    private static string MemoryTotal()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return $"{kb / 1048576.0:N1} GiB";
    }
}
