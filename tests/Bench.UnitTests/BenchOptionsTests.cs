namespace FlexWhere.Bench.UnitTests;

/// <summary>The command line of bench/run.sh: the profiling options take whole numbers in range, and nothing else.</summary>
public sealed class BenchOptionsTests
{
    [Fact]
    public void Longer_windows_for_a_profiler_are_read_from_their_options()
    {
        var options = BenchOptions.Parse(["--only", "P1,P2", "--no-write", "--p1-seconds", "40", "--p2-verifies", "200000"]);

        Assert.Equal(TimeSpan.FromSeconds(40), options.P1Round);
        Assert.Equal(200_000, options.P2Verifies);
        Assert.Equal(["P1", "P2"], options.Scenarios.Order());
        Assert.False(options.Write);
    }

    [Fact]
    public void The_largest_values_are_taken()
    {
        var options = BenchOptions.Parse(["--p1-seconds", "600", "--p2-verifies", "1000000"]);

        Assert.Equal(TimeSpan.FromMinutes(10), options.P1Round);
        Assert.Equal(1_000_000, options.P2Verifies);
    }

    [Fact]
    public void Without_them_the_bench_keeps_its_own_windows()
    {
        var options = BenchOptions.Parse(["--only", "P1"]);

        Assert.Null(options.P1Round);
        Assert.Null(options.P2Verifies);
    }

    [Theory]
    [InlineData("--p1-seconds", "0")]
    [InlineData("--p1-seconds", "-5")]
    [InlineData("--p1-seconds", "601")]
    [InlineData("--p1-seconds", "1.5")]
    [InlineData("--p2-verifies", "x")]
    [InlineData("--p2-verifies", "1000001")]
    [InlineData("--p2-verifies", " 5")]
    [InlineData("--p2-verifies", "99999999999999999999")]
    public void A_value_out_of_range_or_not_a_whole_number_is_refused_with_its_range(string option, string value)
    {
        var refused = Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--only", "P1", option, value]));

        Assert.StartsWith($"{option} takes a whole number from 1 to ", refused.Message);
    }

    [Fact]
    public void An_option_without_its_value_is_refused()
    {
        var refused = Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--p2-verifies"]));

        Assert.StartsWith("--p2-verifies takes a whole number", refused.Message);
    }
}
