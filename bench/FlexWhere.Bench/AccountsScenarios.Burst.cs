using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FlexWhere.Bench;

public static partial class AccountsScenarios
{
    /// <summary>P7's managers and the time in which they all start: 3,000 in 60 s, 50 a second.</summary>
    private const int BurstManagers = UserCount;

    private static TimeSpan BurstWindow(BenchSettings settings) => TimeSpan.FromSeconds(settings.Smoke ? 5 : 60);

    /// <summary>How long after the burst a refused manager keeps trying (the answers' Retry-After) before giving up.</summary>
    private static readonly TimeSpan BurstPatience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// P7, the 09:00 burst. Every seeded manager (none with a trusted device) starts a Control Centre sign-in, evenly spread over
    /// the window: more a second than the hash floor. Each POSTs the password; a 503 or 429 with Retry-After is a refusal
    /// (timed), after which the manager tries again when Retry-After says, as a person on the page would, until
    /// <see cref="BurstPatience"/> after the window; an <c>mfa_required</c> is followed to the SMS at the provider and the
    /// verify. Anything else is a failure.
    /// </summary>
    private static async Task BurstAsync(Report report, BenchSettings settings, FakeTwilioServer twilio, string gateway,
        (double PerSecond, double MedianMs) hashRate, RssSampler rss)
    {
        var window = BurstWindow(settings);
        var managers = settings.Smoke ? _users.Take(100).ToArray() : _users.Take(BurstManagers).ToArray();
        using var client = HttpScenarios.NewClient(512);
        var clock = Stopwatch.StartNew();
        var giveUpAt = window + BurstPatience;
        var completedAt = new ConcurrentBag<double>();
        var refusals = new ConcurrentBag<long>();
        var postToSms = new ConcurrentBag<long>();
        var lateSms = 0;
        var gaveUp = 0;
        var failures = report.Failures("P7");
        rss.Phase = "P7 burst";
        var (sent, _) = await Load.RunAtRateAsync(managers.Length / window.TotalSeconds, window, async n =>
        {
            if (n >= managers.Length) return; // the rate's last tick can fall inside the window
            var manager = managers[n];
            try
            {
                while (true)
                {
                    var sms = twilio.ExpectAsync(manager.Phone);
                    var posted = Stopwatch.GetTimestamp();
                    var postedAt = DateTimeOffset.UtcNow;
                    using var login = await client.PostAsJsonAsync($"{gateway}/api/auth/login",
                        new { email = manager.Email, password = Password, client = "control-centre", deviceToken = (string?)null });
                    if (login.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests
                        && login.Headers.RetryAfter?.Delta is { } retryAfter)
                    {
                        refusals.Add((long)Stopwatch.GetElapsedTime(posted).TotalMicroseconds);
                        if (clock.Elapsed + retryAfter > giveUpAt)
                        {
                            Interlocked.Increment(ref gaveUp);
                            return;
                        }

                        await Task.Delay(retryAfter);
                        continue;
                    }

                    await FailureReason.ExpectSuccessAsync(login, "login");
                    var answer = JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement;
                    if (answer.GetProperty("status").GetString() != "mfa_required")
                    {
                        throw new OperationFailedException("login: no mfa_required");
                    }

                    var expiresAt = answer.GetProperty("expiresAt").GetDateTimeOffset();
                    ReceivedSms received;
                    try
                    {
                        received = await sms.WaitAsync(BurstPatience);
                    }
                    catch (TimeoutException)
                    {
                        throw new OperationFailedException($"no SMS at the provider within {BurstPatience.TotalSeconds:N0} s");
                    }

                    postToSms.Add((long)Math.Max(0, (received.At - postedAt).TotalMicroseconds));
                    if (received.At > expiresAt) Interlocked.Increment(ref lateSms);
                    var code = SixDigits().Match(received.Body).Value;
                    using var verify = await client.PostAsJsonAsync($"{gateway}/api/auth/mfa/verify", new
                    {
                        loginTicket = answer.GetProperty("loginTicket").GetString(), code, rememberDevice = false,
                    });
                    await FailureReason.ExpectSuccessAsync(verify, "verify");
                    completedAt.Add(clock.Elapsed.TotalSeconds);
                    return;
                }
            }
            catch (Exception exception) when (exception
                is OperationFailedException or TimeoutException or HttpRequestException or TaskCanceledException or IOException)
            {
                failures.Add(FailureReason.Of(exception));
            }
        });
        rss.Phase = "idle";

        // Completions a second in 5-s windows while the burst still brings more than the floor: from 5 s (the first
        // sign-ins take a hash, an SMS and a verify to complete) to the window's end.
        var done = completedAt.ToArray();
        var slices = Enumerable.Range(1, Math.Max(1, (int)(window.TotalSeconds / 5) - 1))
            .Select(slice => done.Count(at => at >= slice * 5 && at < slice * 5 + 5) / 5.0).ToArray();
        var slowest = slices.Min();
        var refused = new Latencies(refusals);
        var toSms = new Latencies(postToSms);
        var started = Math.Min(sent, managers.Length);
        report.Row("P7 burst", $"{started:N0} managers start a Control Centre sign-in within {window.TotalSeconds:N0} s " +
            $"({started / window.TotalSeconds:N0}/s; hash floor {hashRate.PerSecond:N1}/s)", $"{done.Length:N0} signed in",
            Report.Ms(toSms.PercentileMs(50)), Report.Ms(toSms.PercentileMs(99)),
            $"{(failures.Count > 0 ? "**FAILED**: " : "")}POST → SMS at the provider; {refused.Count:N0} refusals " +
            $"(p99 {Report.Ms(refused.PercentileMs(99))}), {gaveUp} gave up {BurstPatience.TotalSeconds:N0} s after the burst, " +
            $"{lateSms} SMS after the code expired, {failures.Count} failed; load {Report.LoadAverage()}");
        report.Line($"P7 completions per second in 5-s windows: {string.Join(", ", slices.Select(rate => rate.ToString("N1")))}");
        if (failures.Count > 0) report.Line($"P7 failures: {failures.Summary()}");
        report.Ratio("P7 slowest 5-s completion rate of the burst / hash floor", slowest / hashRate.PerSecond, "≥ 0.9",
            slowest / hashRate.PerSecond >= 0.9, $"{slowest:N1} against {hashRate.PerSecond:N1} hashes/s; each completion is a " +
                "sign-in as in P3, on the same cores, so P3's budget bounds this ratio too");
        report.Ratio("P7 p99 refusal / 100 ms", refused.Count == 0 ? 0 : refused.PercentileMs(99) / 100, "≤ 1.0",
            refused.Count == 0 || refused.PercentileMs(99) <= 100,
            $"{refused.Count:N0} refusals, p99 {Report.Ms(refused.PercentileMs(99))}");
        report.Ratio("P7 SMS at the provider after their code expired", lateSms, "= 0", lateSms == 0,
            $"of {toSms.Count:N0} accepted sign-ins; code lifetime {Services.ChallengeCodeTtl.TotalMinutes:N0} min");
    }
}
