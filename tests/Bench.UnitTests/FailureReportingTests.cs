using System.Net;
using System.Text;

namespace FlexWhere.Bench.UnitTests;

/// <summary>How a run that failed says so (docs/benchmarks.md, "Failures"): counted per scenario with their reasons,
/// the scenario marked FAILED in the table, rates from successes only, and a non-zero exit code.</summary>
public sealed class FailureReportingTests
{
    private const string RateLimited = """{"type":"about:blank","title":"Too many requests","status":429,"code":"rate_limited"}""";

    [Fact]
    public void A_scenario_with_failures_is_marked_failed_with_its_count_and_first_distinct_reasons()
    {
        var report = new Report();
        var gateway = Result("Gateway (YARP) → Challenges (round 2)", completed: 0, failed: 3);
        gateway.Failures.Add("429 rate_limited", 2);
        gateway.Failures.Add("timeout");

        report.Row("P1 document read", gateway);
        report.Row("P2 verify", Result("Challenges HTTP verify (direct)", completed: 500, failed: 0), "verifies/s");
        report.Ratio("P1 Gateway / direct", 0.0, "≥ 0.85", met: false);
        report.Ratio("P2 Challenges verify / raw Redis", 0.31, "≥ 0.25", met: true);
        var markdown = report.Markdown("header");

        Assert.Contains("| P1 | **FAILED** | 3 | 429 rate_limited ×2; timeout ×1 |", markdown);
        Assert.Contains("| P2 | ok | 0 | – |", markdown);
        var p1Ratio = Line(markdown, "| P1 Gateway / direct |");
        Assert.Contains("**FAILED** (3 failed: 429 rate_limited ×2; timeout ×1)", p1Ratio);
        Assert.DoesNotContain("missed", p1Ratio);
        Assert.EndsWith("| met |", Line(markdown, "| P2 Challenges verify / raw Redis |"));
        Assert.StartsWith("| P1 document read | Gateway (YARP) → Challenges (round 2) | 0.00 req/s | – | – | **FAILED** (",
            Line(markdown, "| P1 document read |"));
        Assert.True(report.AnyFailed);
        Assert.Equal(Report.ScenarioFailedExitCode, report.ExitCode);
    }

    [Fact]
    public void A_run_without_failures_exits_with_zero()
    {
        var report = new Report();
        report.Row("P2 verify", Result("raw", completed: 10, failed: 0));
        report.Status("P4");

        Assert.False(report.AnyFailed);
        Assert.Equal(0, report.ExitCode);
        Assert.Contains("| P4 | ok | 0 | – |", report.Markdown("header"));
    }

    [Fact]
    public void Failures_in_the_warm_up_fail_the_scenario_though_the_measured_window_had_none()
    {
        var report = new Report();
        var result = Result("Gateway", completed: 100, failed: 0);
        result.Failures.Add("429 rate_limited", 7);

        report.Row("P1 document read", result);

        Assert.True(report.AnyFailed);
        Assert.Contains("100 ok, 0 failed (and 7 outside the measured window)", Line(report.Markdown("h"), "| P1 document read |"));
    }

    [Fact]
    public async Task A_run_counts_only_successes_in_its_rate_and_latencies_and_keeps_each_failure_reason()
    {
        // 300 operations: every third refused with a problem, every tenth (not a third) timed out, the rest fine.
        var result = await Load.RunAsync("mixed", concurrency: 8, warmUp: TimeSpan.Zero, duration: TimeSpan.FromMinutes(1), async n =>
        {
            if (n >= 300) throw new SupplyExhaustedException();
            await Task.Yield();
            if (n % 3 == 0) throw new OperationFailedException("429 rate_limited");
            if (n % 10 == 0) throw new TaskCanceledException();
            return true;
        });

        var refused = Enumerable.Range(0, 300).Count(n => n % 3 == 0);
        var timedOut = Enumerable.Range(0, 300).Count(n => n % 3 != 0 && n % 10 == 0);
        Assert.Equal(300 - refused - timedOut, result.Completed);
        Assert.Equal(refused + timedOut, result.Failed);
        Assert.Equal(result.Completed, result.Latency.Count);
        Assert.Equal(result.Completed / result.Elapsed.TotalSeconds, result.PerSecond, precision: 6);
        Assert.Equal([("429 rate_limited", (long)refused), ("timeout", (long)timedOut)], result.Failures.Reasons.OrderBy(r => r.Reason));
    }

    [Fact]
    public async Task Failures_during_the_warm_up_are_kept_though_the_measured_window_does_not_count_them()
    {
        var measuring = false;
        var failedInWarmUp = 0;
        // The window opens only once a failure is sure to have ended in the warm-up: on busy cores a clean-clone run once saw
        // no operation start within the 300 ms warm-up, and another counted nothing in a window of 200 ms (a second since).
        // One failure begun is not enough: its worker may not have recorded it before the window opens (a clean-clone run on
        // 2026-12-02 counted both workers' first failures in the window). A third failure begun means one worker has begun
        // its second, so its first was recorded while the warm-up lasted.
        var result = await Load.RunAsync("warm", concurrency: 2, warmUp: TimeSpan.FromMilliseconds(300),
            duration: TimeSpan.FromSeconds(1), async _ =>
            {
                // Yields first: two workers failing synchronously in a loop can hold the thread pool's first threads, and
                // keep the timers that open and close the window waiting.
                await Task.Yield();
                if (!Volatile.Read(ref measuring))
                {
                    Interlocked.Increment(ref failedInWarmUp);
                    throw new OperationFailedException("503 service_unavailable");
                }

                await Task.Delay(1);
                return true;
            }, measuring: on =>
            {
                if (on)
                {
                    Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref failedInWarmUp) >= 3, TimeSpan.FromSeconds(30)),
                        "Fewer than three operations failed in the warm-up within 30 s.");
                }

                Volatile.Write(ref measuring, on || Volatile.Read(ref measuring));
            });

        Assert.True(result.Completed > 0);
        // At most the operations in flight when the window opened can land in it; the warm-up's stay out.
        Assert.True(result.Failures.Count > result.Failed, $"{result.Failures.Count} failures, {result.Failed} in the window");
        Assert.Equal("503 service_unavailable", Assert.Single(result.Failures.Reasons).Reason);
    }

    [Fact]
    public void Reasons_are_the_status_and_the_problem_code_or_the_kind_of_exception()
    {
        Assert.Equal("429 rate_limited", FailureReason.Of(HttpStatusCode.TooManyRequests, RateLimited));
        Assert.Equal("502", FailureReason.Of(HttpStatusCode.BadGateway, "<html>Bad gateway</html>"));
        Assert.Equal("500", FailureReason.Of(HttpStatusCode.InternalServerError, """["not", "a problem"]"""));
        Assert.Equal("timeout", FailureReason.Of(new TaskCanceledException()));
        Assert.Equal("timeout", FailureReason.Of(new TimeoutException("the SMS did not come")));
        Assert.Equal("connection: ConnectionError",
            FailureReason.Of(new HttpRequestException(HttpRequestError.ConnectionError, "refused")));
        Assert.Equal("login: 401 invalid_credentials", FailureReason.Of(new OperationFailedException("login: 401 invalid_credentials")));
    }

    [Fact]
    public async Task A_success_passes_and_anything_else_throws_with_the_step_and_the_reason()
    {
        using var ok = new HttpResponseMessage(HttpStatusCode.Created);
        using var refused = new HttpResponseMessage(HttpStatusCode.TooManyRequests)
        {
            Content = new StringContent(RateLimited, Encoding.UTF8, "application/problem+json"),
        };

        Assert.True(await FailureReason.ExpectSuccessAsync(ok));
        var failure = await Assert.ThrowsAsync<OperationFailedException>(() => FailureReason.ExpectSuccessAsync(refused, "login"));
        Assert.Equal("login: 429 rate_limited", failure.Message);
    }

    [Fact]
    public void The_tally_keeps_reasons_in_the_order_seen_and_folds_those_beyond_its_limit_into_other()
    {
        var tally = new FailureTally();
        for (var i = 0; i < FailureTally.DistinctKept + 5; i++) tally.Add($"reason {i}", i + 1);
        tally.Add("reason 0");

        var reasons = tally.Reasons;
        Assert.Equal(FailureTally.DistinctKept + 1, reasons.Count);
        Assert.Equal(("reason 0", 2L), reasons[0]);
        Assert.Equal((FailureTally.Other, Enumerable.Range(FailureTally.DistinctKept + 1, 5).Sum()), (reasons[^1].Reason,
            (int)reasons[^1].Count));
        Assert.Equal(Enumerable.Range(1, FailureTally.DistinctKept + 5).Sum() + 1, tally.Count);
        Assert.Equal($"reason 0 ×2; reason 1 ×2; reason 2 ×3; {FailureTally.DistinctKept - 2} more reason(s)", tally.Summary());
    }

    private static LoadResult Result(string name, long completed, long failed) =>
        new(name, 8, completed, failed, TimeSpan.FromSeconds(10), new Latencies(Enumerable.Repeat(1000L, (int)completed)));

    private static string Line(string markdown, string start) =>
        markdown.Split('\n').Single(line => line.StartsWith(start, StringComparison.Ordinal));
}
