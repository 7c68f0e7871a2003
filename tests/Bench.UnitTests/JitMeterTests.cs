namespace FlexWhere.Bench.UnitTests;

/// <summary>The sign-in warm-up ends when the services' JIT has settled (docs/benchmarks.md, "The JIT's warm-up in the
/// sign-in figures").</summary>
public sealed class JitMeterTests
{
    private static readonly TimeSpan Round = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AtLeast = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(20, 0.049, true)] // under 1 % of a core in the last 5 s, long enough
    [InlineData(20, 0.05, false)] // 1 % of a core: still compiling
    [InlineData(45, 1.7, false)] // a third of a core, as Accounts at 20 s in P3
    [InlineData(15, 0.0, false)] // quiet, but shorter than the least warm-up
    public void The_warm_up_ends_once_long_enough_and_the_JIT_used_under_one_percent_of_a_core(int seconds, double jitSeconds, bool ends)
    {
        Assert.Equal(ends, JitMeter.Settled(TimeSpan.FromSeconds(seconds), AtLeast, jitSeconds, Round));
    }

    [Fact]
    public void Counts_the_CPU_of_a_tiered_compilation_thread_that_starts_after_the_meter_and_ends()
    {
        using var meter = new JitMeter([Environment.ProcessId]);
        var spinner = new Thread(() =>
        {
            // 600 ms of CPU (not of wall time: on a busy machine that could be much less CPU).
            var giveUp = DateTime.UtcNow.AddSeconds(30);
            while (CpuOfThisThread() < 0.6 && DateTime.UtcNow < giveUp) Thread.SpinWait(10_000);
        }) { Name = JitMeter.ThreadName };

        spinner.Start();
        spinner.Join();

        // The meter reads every 250 ms, so at most the thread's last 250 ms are missed; the runtime's own JIT thread may add.
        Assert.InRange(meter.Seconds, 0.3, 30);
    }

    private static double CpuOfThisThread() => CpuMeter.TicksOf(File.ReadAllText("/proc/thread-self/stat")) / CpuMeter.TicksPerSecond;
}
