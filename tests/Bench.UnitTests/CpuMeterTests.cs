namespace FlexWhere.Bench.UnitTests;

/// <summary>The CPU accounting that docs/benchmarks.md quotes per process and per operation.</summary>
public sealed class CpuMeterTests
{
    [Fact]
    public void Per_operation_divides_each_process_by_the_operations_and_leaves_out_what_used_under_two_percent()
    {
        (string, double)[] parts = [("Notifier", 4.6), ("RabbitMQ", 2.5), ("Redis", 0.6), ("other", 0.1)];

        var line = CpuMeter.PerOperation(parts, 5000);

        Assert.Equal("CPU per operation: Notifier 920 µs, RabbitMQ 500 µs, Redis 120 µs, all 1560 µs", line);
    }

    [Fact]
    public void Nothing_completed_is_said_instead_of_dividing_by_zero()
    {
        Assert.Equal("no operations completed", CpuMeter.PerOperation([("Gateway", 1.0)], 0));
    }

    [Fact]
    public void The_CPU_a_process_uses_inside_the_window_is_what_the_meter_reports()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var meter = CpuMeter.Start();
        // Burn 200 ms of CPU (not of wall time: on a busy machine that could be much less CPU).
        var target = process.TotalProcessorTime + TimeSpan.FromMilliseconds(200);
        var giveUp = DateTime.UtcNow.AddSeconds(30);
        var spin = 0L;
        while (DateTime.UtcNow < giveUp)
        {
            spin++;
            process.Refresh();
            if (process.TotalProcessorTime >= target) break;
        }

        var used = meter.Stop();
        var (parts, wall) = (used.Parts, used.WallSeconds);

        var self = parts.Single(part => part.Part.StartsWith("bench", StringComparison.Ordinal));
        Assert.InRange(self.Seconds, 0.18, wall * Environment.ProcessorCount + 0.05);
        Assert.True(spin > 0);
    }

    [Fact]
    public void A_process_CPU_since_its_start_matches_the_runtime_own_count_and_a_process_that_is_gone_has_none()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var before = process.TotalProcessorTime.TotalSeconds;

        var seconds = CpuMeter.SecondsSinceStart(Environment.ProcessId);

        process.Refresh();
        // /proc counts in ticks of 10 ms; the runtime reads the same kernel counters.
        Assert.InRange(seconds, before - 0.02, process.TotalProcessorTime.TotalSeconds + 0.02);
        Assert.True(seconds > 0);
        Assert.Equal(0, CpuMeter.SecondsSinceStart(int.MaxValue));
    }
}
