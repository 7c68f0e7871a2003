using System.Globalization;

namespace FlexWhere.Bench;

/// <summary>
/// What a throughput target leaves the part it is about, on the cores of this run. A rate of at least
/// <c>target × the peer's rate</c> on N cores allows at most <c>N ÷ (target × peer rate)</c> of CPU per operation in all
/// processes together; the other processes' CPU per operation (measured in the same run) is taken off, and what is left
/// is the most the part may use. Negative: the target cannot be met here even by a part that costs nothing.
/// An upper bound: it counts every core as fully usable (the full run of 2026-12-02 11:52 used 1.70–1.98 of its 2 in the
/// measured windows).
/// </summary>
public static class CpuBudget
{
    /// <summary>The most CPU per operation, in µs, that <paramref name="part"/> may use for the rate to reach the target.</summary>
    public static double PartMicroseconds(double target, double peerRate, int cores, CpuPerOperation used, string part) =>
        cores * 1e6 / (target * peerRate) - used.OthersThan(part);

    /// <summary>The budget, what the others used and what the part used, as one sentence for the ratio's verdict;
    /// <paramref name="called"/> is how the sentence names the part ("the Gateway").</summary>
    public static string Describe(double target, double peerRate, int cores, CpuPerOperation used, string part, string called,
        string operation, string? note = null)
    {
        var budget = PartMicroseconds(target, peerRate, cores, used, part);
        var others = used.OthersThan(part);
        var allowed = cores * 1e6 / (target * peerRate);
        var text = budget <= 0
            ? $"on these {cores} cores the target allows {Time(allowed)} of CPU per {operation} in all processes, and the other " +
              $"processes used {Time(others)}: not reachable here even if {called} cost nothing"
            : $"on these {cores} cores the target leaves {called} at most {Time(budget)} of CPU per {operation} (the other " +
              $"processes used {Time(others)}); it used {Time(used.Of(part))}";
        return note is null ? text : $"{text} ({note})";
    }

    /// <summary>µs below 10 ms, ms above.</summary>
    public static string Time(double microseconds) => Math.Abs(microseconds) < 10_000
        ? microseconds.ToString("N0", CultureInfo.InvariantCulture) + " µs"
        : (microseconds / 1000).ToString("N1", CultureInfo.InvariantCulture) + " ms";
}

/// <summary>CPU per operation of each process in one measured window, in µs (<see cref="CpuMeter"/>'s parts ÷ operations).</summary>
public sealed record CpuPerOperation(IReadOnlyDictionary<string, double> Parts)
{
    public static readonly CpuPerOperation None = new(new Dictionary<string, double>());

    public static CpuPerOperation Of(CpuUse use, long operations) => operations <= 0 ? None
        : new(use.Parts.GroupBy(part => part.Part).ToDictionary(group => group.Key, group => group.Sum(p => p.Seconds) * 1e6 / operations));

    public double All => Parts.Values.Sum();

    public double Of(string part) => Parts.GetValueOrDefault(part);

    public double OthersThan(string part) => All - Of(part);
}

/// <summary>A variant's rate (the rounds' mean, as the ratios divide it) and its last round's CPU per operation.</summary>
public sealed record Measured(double Rate, CpuPerOperation LastRound);
