namespace FlexWhere.Bench;

/// <summary>P3 and P5 need the MFA sign-in of issue 7 (password → SMS challenge → verify).</summary>
public static class AccountsScenarios
{
    public static Task StartAsync(Services services, Servers servers, string logs) =>
        throw new NotSupportedException("P3/P5 need issue 7's MFA sign-in; run with --only P1,P2,P4,P6 until it lands.");

    public static Task RunAsync(Report report, BenchSettings settings, BenchOptions options, Services services, Servers servers, FakeTwilioServer twilio, RssSampler rss) =>
        Task.CompletedTask;
}
