using System.Globalization;
using System.Text;

namespace FlexWhere.Bench;

/// <summary>The run's figures: one row per measured variant, one per ratio against its target, and
/// the raw lines as printed.</summary>
public sealed class Report
{
    private readonly List<string> _rows = [];
    private readonly List<string> _ratios = [];
    private readonly StringBuilder _raw = new();

    public void Line(string text)
    {
        var stamped = $"[{DateTime.UtcNow:HH:mm:ss}] {text}";
        Console.WriteLine(stamped);
        _raw.AppendLine(stamped);
    }

    public void Row(string scenario, string variant, string rate, string p50, string p99, string note) =>
        _rows.Add($"| {scenario} | {variant} | {rate} | {p50} | {p99} | {note} |");

    public void Row(string scenario, LoadResult result, string unit = "req/s", string? note = null)
    {
        Row(scenario, result.Name,
            $"{result.PerSecond.ToString(result.PerSecond < 100 ? "N2" : "N0", CultureInfo.InvariantCulture)} {unit}",
            Ms(result.Latency.PercentileMs(50)), Ms(result.Latency.PercentileMs(99)),
            note ?? $"{result.Concurrency} conns, {result.Completed:N0} ok, {result.Failed:N0} failed, {result.Elapsed.TotalSeconds:N1} " +
                $"s, load {LoadAverage()}");
        Line($"{scenario} {result.Name}: {result.PerSecond.ToString(result.PerSecond < 100 ? "N2" : "N0", CultureInfo.InvariantCulture)} " +
            $"{unit}, p50 {Ms(result.Latency.PercentileMs(50))}, p99 {Ms(result.Latency.PercentileMs(99))}, max " +
            $"{Ms(result.Latency.MaxMs)}, ok {result.Completed}, failed {result.Failed}, {result.Elapsed.TotalSeconds:N2} s, concurrency " +
            $"{result.Concurrency}, load {LoadAverage()}");
    }

    public void Ratio(string what, double measured, string target, bool met, string why = "")
    {
        _ratios.Add($"| {what} | {measured.ToString("N2", CultureInfo.InvariantCulture)} | {target} | " +
            $"{(met ? "met" : "missed")}{(why.Length > 0 ? ": " + why : "")} |");
        Line($"RATIO {what}: {measured:N2} (target {target}) {(met ? "met" : "MISSED")} {why}");
    }

    public static string Ms(double ms) =>
        double.IsNaN(ms) ? "–" : ms.ToString(ms < 10 ? "N2" : "N1", CultureInfo.InvariantCulture) + " ms";

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    public string Markdown(string header)
    {
        var text = new StringBuilder();
        text.AppendLine(header);
        text.AppendLine();
        text.AppendLine("| scenario | variant | rate | p50 | p99 | notes |");
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
