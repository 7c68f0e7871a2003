using System.Globalization;
using System.Text;

namespace FlexWhere.Bench;

/// <summary>The run's figures: one row per scenario with its status, one per measured variant, one per ratio
/// against its target, and the raw lines as printed. A scenario with any failed operation is FAILED: its
/// rates count successes only, and its ratios are shown but are no result.</summary>
public sealed class Report
{
    private readonly List<string> _rows = [];
    private readonly List<string> _ratios = [];
    private readonly StringBuilder _raw = new();
    private readonly Dictionary<string, FailureTally> _scenarios = [];

    /// <summary>Scenarios that failed make the bench exit with this (1 is a run that could not start).</summary>
    public const int ScenarioFailedExitCode = 2;

    public bool AnyFailed => _scenarios.Values.Any(failures => failures.Count > 0);

    public int ExitCode => AnyFailed ? ScenarioFailedExitCode : 0;

    /// <summary>The failures of a scenario ("P1"), by the first word of any row or ratio label ("P1 document read").</summary>
    public FailureTally Failures(string label)
    {
        var scenario = label.Split(' ', 2)[0];
        if (!_scenarios.TryGetValue(scenario, out var failures)) _scenarios[scenario] = failures = new FailureTally();
        return failures;
    }

    /// <summary>The scenario's status line: ok, or FAILED with the count and the first distinct reasons.</summary>
    public void Status(string scenario) => Line($"SCENARIO {scenario}: {Verdict(Failures(scenario))}");

    private static string Verdict(FailureTally failures) => failures.Count == 0 ? "ok" : $"FAILED ({Failed(failures)})";

    private static string Failed(FailureTally failures) =>
        $"{failures.Count.ToString("N0", CultureInfo.InvariantCulture)} failed: {failures.Summary()}";

    public void Line(string text)
    {
        var stamped = $"[{DateTime.UtcNow:HH:mm:ss}] {text}";
        Console.WriteLine(stamped);
        _raw.AppendLine(stamped);
    }

    public void Row(string scenario, string variant, string rate, string p50, string p99, string note) =>
        _rows.Add($"| {scenario} | {variant} | {rate} | {p50} | {p99} | {note} |");

    /// <summary>A load run's row: the rate and percentiles of its successful operations; its failures (warm-up
    /// included) count against the scenario named by the first word of <paramref name="scenario"/>.</summary>
    public void Row(string scenario, LoadResult result, string unit = "req/s", string? note = null)
    {
        Failures(scenario).Add(result.Failures);
        var rate = $"{result.PerSecond.ToString(result.PerSecond < 100 ? "N2" : "N0", CultureInfo.InvariantCulture)} {unit}";
        var outsideFailures = result.Failures.Count - result.Failed;
        var failed = $"{result.Failed:N0} failed{(outsideFailures > 0 ? $" (and {outsideFailures:N0} outside the measured window)" : "")}";
        var failedMark = result.Failures.Count > 0 ? $"**FAILED** ({Cell(result.Failures.Summary())}): " : "";
        Row(scenario, result.Name, rate, Ms(result.Latency.PercentileMs(50)), Ms(result.Latency.PercentileMs(99)),
            failedMark + (note ?? $"{result.Concurrency} conns, {result.Completed:N0} ok, {failed}, {result.Elapsed.TotalSeconds:N1} " +
                $"s, load {LoadAverage()}"));
        Line($"{scenario} {result.Name}: {rate} (successes only), p50 {Ms(result.Latency.PercentileMs(50))}, p99 " +
            $"{Ms(result.Latency.PercentileMs(99))}, max {Ms(result.Latency.MaxMs)}, ok {result.Completed}, {failed}, " +
            $"{result.Elapsed.TotalSeconds:N2} s, concurrency {result.Concurrency}, load {LoadAverage()}" +
            (result.Failures.Count > 0 ? $"; FAILURES: {result.Failures.Summary()}" : ""));
    }

    /// <summary>A ratio against its target; in a scenario with failures the verdict is FAILED, whatever the figure.</summary>
    public void Ratio(string what, double measured, string target, bool met, string why = "")
    {
        var failures = Failures(what);
        var verdict = failures.Count > 0 ? $"**FAILED** ({Cell(Failed(failures))}); the ratio counts successes only and is no result"
            : met ? "met" : "missed";
        _ratios.Add($"| {what} | {measured.ToString("N2", CultureInfo.InvariantCulture)} | {target} | " +
            $"{verdict}{(why.Length > 0 ? ": " + why : "")} |");
        Line($"RATIO {what}: {measured:N2} (target {target}) {(failures.Count > 0 ? "FAILED" : met ? "met" : "MISSED")} {why}");
    }

    /// <summary>Text in a Markdown table cell: reasons may quote an answer's body.</summary>
    private static string Cell(string text) => text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);

    public static string Ms(double ms) =>
        double.IsNaN(ms) ? "–" : ms.ToString(ms < 10 ? "N2" : "N1", CultureInfo.InvariantCulture) + " ms";

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    public string Markdown(string header)
    {
        var text = new StringBuilder();
        text.AppendLine(header);
        text.AppendLine();
        text.AppendLine("| scenario | status | failed operations | first distinct failure reasons (status and problem code) |");
        text.AppendLine("|---|---|---|---|");
        foreach (var (scenario, failures) in _scenarios.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            text.AppendLine($"| {scenario} | {(failures.Count > 0 ? "**FAILED**" : "ok")} | " +
                $"{failures.Count.ToString("N0", CultureInfo.InvariantCulture)} | {Cell(failures.Summary())} |");
        }

        text.AppendLine();
        text.AppendLine("| scenario | variant | rate (successes only) | p50 | p99 | notes |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var row in _rows) text.AppendLine(row);
        text.AppendLine();
        text.AppendLine("| ratio | measured | target | verdict |");
        text.AppendLine("|---|---|---|---|");
        foreach (var ratio in _ratios) text.AppendLine(ratio);
        text.AppendLine();
        text.AppendLine("Raw output of this run:");
        text.AppendLine();
        text.AppendLine("```");
        text.Append(_raw);
        text.AppendLine("```");
        return text.ToString();
    }
}
