using System.Diagnostics;
using FlexWhere.LocalServers;

namespace FlexWhere.Bench;

/// <summary>
/// P6. The AppHost as <c>dotnet run</c> would start it, in local mode on free ports (never the shared
/// 5080/15080): from process start until the Gateway's readiness (which needs every service and
/// their servers) answers 200; then each service's resident memory after 10 s idle.
/// </summary>
public static class AppHostScenario
{
    public static readonly string[] ServiceNames = ["Gateway", "Accounts", "Challenges", "Notifier"];

    public static async Task<(TimeSpan ColdStart, Dictionary<string, long> IdleRss)> RunAsync(Report report, string repositoryRoot,
        string logDirectory)
    {
        var directory = Path.Combine(repositoryRoot, "AppHost", "bin", "Release", "net10.0");
        var gatewayPort = Ports.FreeLoopbackPort();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = $"http://localhost:{Ports.FreeLoopbackPort()}",
            ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://localhost:{Ports.FreeLoopbackPort()}",
            ["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://localhost:{Ports.FreeLoopbackPort()}",
            ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
            ["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true",
        };
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        await using var appHost = ChildProcess.Start("apphost", "dotnet",
            [Path.Combine(directory, "AppHost.dll"), "--Infra=local", $"--Gateway:Port={gatewayPort}"], environment, directory,
                logDirectory);
        // Every service behind the Gateway ready, not just the Gateway (its own /health does not wait for them).
        await Wait.HttpOkAsync("the AppHost's Gateway", probe, $"http://localhost:{gatewayPort}/health/downstream",
            TimeSpan.FromSeconds(240));
        var coldStart = clock.Elapsed;
        report.Line($"P6 AppHost --Infra=local: Gateway /health/downstream 200 after {coldStart.TotalSeconds:N1} s " +
            $"(load {Report.LoadAverage()})");

        await Task.Delay(TimeSpan.FromSeconds(10));
        var idle = new Dictionary<string, long>();
        var started = new List<string>();
        foreach (var name in ServiceNames.Append("Accounts.MigrationService"))
        {
            var pids = FindServiceProcesses(name, repositoryRoot);
            idle[name] = pids.Sum(Memory.RssBytes);
            // The CPU a start took varies far less from run to run than the wall-clock time does (docs/benchmarks.md).
            var cpu = pids.Sum(CpuMeter.SecondsSinceStart);
            if (pids.Count > 0) started.Add($"{name} {cpu:N1}");
            report.Line($"P6 idle RSS {name}: {idle[name] / 1048576.0:N0} MiB, CPU since its start {cpu:N1} s " +
                $"(pids {string.Join(',', pids)})");
        }

        report.Line($"P6 CPU seconds of each service from its start to 10 s after ready: {string.Join(", ", started)}");

        return (coldStart, idle);
    }

    /// <summary>Processes running the service's build output (<c>…/Name.dll</c> or the apphost <c>…/Name</c>).</summary>
    public static List<int> FindServiceProcesses(string name, string repositoryRoot)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                // Only this worktree's build: other checkouts on the machine run the same services.
                if (args.Length == 0 || !args.Any(a => a.StartsWith(repositoryRoot, StringComparison.Ordinal))) continue;
                var runsIt = Path.GetFileName(args[0]) == name && args[0].Contains("/bin/", StringComparison.Ordinal)
                    || args.Length > 1 && Path.GetFileName(args[0]) == "dotnet" && args.Skip(1).Take(2)
                        .Any(a => Path.GetFileName(a) == $"{name}.dll");
                if (runsIt) found.Add(pid);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }
}
