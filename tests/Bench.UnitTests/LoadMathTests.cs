namespace FlexWhere.Bench.UnitTests;

/// <summary>The load generator's arithmetic: what docs/benchmarks.md reports must be what was measured.</summary>
public sealed class LoadMathTests
{
    [Fact]
    public void Percentiles_use_the_nearest_rank_of_the_sorted_samples()
    {
        // 1 ms … 100 ms, shuffled: the p-th percentile of 100 samples is the p-th smallest.
        var micros = Enumerable.Range(1, 100).Select(ms => ms * 1000L).OrderBy(_ => Random.Shared.Next()).ToArray();

        var latencies = new Latencies(micros);

        Assert.Equal(100, latencies.Count);
        Assert.Equal(50.0, latencies.PercentileMs(50));
        Assert.Equal(99.0, latencies.PercentileMs(99));
        Assert.Equal(100.0, latencies.PercentileMs(100));
        Assert.Equal(1.0, latencies.PercentileMs(0.1));
        Assert.Equal(100.0, latencies.MaxMs);
    }

    [Fact]
    public void A_single_sample_is_every_percentile_and_no_samples_give_no_figure()
    {
        Assert.Equal(7.5, new Latencies([7500]).PercentileMs(99));
        Assert.True(double.IsNaN(new Latencies([]).PercentileMs(50)));
    }

    [Fact]
    public async Task A_supply_bound_run_counts_every_operation_once_and_wrong_answers_as_failed()
    {
        // 200 operations; every fifth answers wrongly. No warm-up, so all of them count.
        var result = await Load.RunAsync("math", concurrency: 8, warmUp: TimeSpan.Zero, duration: TimeSpan.FromMinutes(1), async n =>
        {
            if (n >= 200) throw new SupplyExhaustedException();
            await Task.Yield();
            return n % 5 != 0;
        });

        Assert.Equal(160, result.Completed);
        Assert.Equal(40, result.Failed);
        Assert.Equal(160, result.Latency.Count);
        Assert.Equal(result.Completed / result.Elapsed.TotalSeconds, result.PerSecond, precision: 6);
    }

    [Fact]
    public void The_rate_of_an_empty_window_is_zero_not_infinity()
    {
        var result = new LoadResult("empty", 1, Completed: 0, Failed: 0, TimeSpan.Zero, new Latencies([]));

        Assert.Equal(0, result.PerSecond);
    }
}
