namespace FlexWhere.Bench.UnitTests;

/// <summary>The budget a throughput target leaves the part it is about, which the ratios' verdicts quote.</summary>
public sealed class CpuBudgetTests
{
    // The Gateway round of P1 in the full run of 2026-12-02 11:38 UTC, CPU per request.
    private static readonly CpuPerOperation GatewayRound = new(new Dictionary<string, double>
    {
        ["Gateway"] = 93, ["Challenges"] = 54, ["bench (load generator, fake Twilio)"] = 44,
    });

    [Fact]
    public void The_budget_is_what_the_target_allows_on_the_cores_less_what_the_other_processes_used()
    {
        // 0.85 × 20,000 requests/s on 2 cores allows 2,000,000 µs ÷ 17,000 = 117.6 µs per request in all; the others used 98.
        var budget = CpuBudget.PartMicroseconds(0.85, 20_000, 2, GatewayRound, "Gateway");

        Assert.Equal(2e6 / 17_000 - 98, budget, precision: 6);
        Assert.Equal("on these 2 cores the target leaves the Gateway at most 20 µs of CPU per request (the other processes used " +
            "98 µs); it used 93 µs (nginx / direct: 0.70)",
            CpuBudget.Describe(0.85, 20_000, 2, GatewayRound, "Gateway", "the Gateway", "request", "nginx / direct: 0.70"));
    }

    [Fact]
    public void A_target_the_other_processes_alone_exceed_is_called_unreachable_here()
    {
        // P4's second round in the same run: the broker, the load and Redis used 974 µs per SMS; 0.5 × 6,820 msg/s allows 586.5.
        var round = new CpuPerOperation(new Dictionary<string, double>
        {
            ["RabbitMQ"] = 494, ["Notifier"] = 472, ["bench (load generator, fake Twilio)"] = 302, ["Redis"] = 122, ["other"] = 56,
        });

        Assert.True(CpuBudget.PartMicroseconds(0.5, 6_820, 2, round, "Notifier") < 0);
        Assert.Equal("on these 2 cores the target allows 587 µs of CPU per SMS in all processes, and the other processes used " +
            "974 µs: not reachable here even if the Notifier cost nothing",
            CpuBudget.Describe(0.5, 6_820, 2, round, "Notifier", "the Notifier", "SMS"));
    }

    [Fact]
    public void Per_operation_figures_come_from_the_meter_s_seconds_and_times_of_ten_ms_and_more_are_in_ms()
    {
        var used = new CpuUse([("Accounts", 14.2), ("PostgreSQL", 1.4), ("Accounts", 0.1)], 10, 0);

        var perSignIn = CpuPerOperation.Of(used, 254);

        Assert.Equal(14.3e6 / 254, perSignIn.Of("Accounts"), precision: 6);
        Assert.Equal(1.4e6 / 254, perSignIn.OthersThan("Accounts"), precision: 6);
        Assert.Equal("56.3 ms", CpuBudget.Time(perSignIn.Of("Accounts")));
        Assert.Equal("9,999 µs", CpuBudget.Time(9_999));
        Assert.Same(CpuPerOperation.None, CpuPerOperation.Of(used, 0));
    }
}
