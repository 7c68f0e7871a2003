using System.Globalization;

namespace FlexWhere.Bench;

/// <summary>
/// A limit the bench lifts for its own run: the setting (as the environment variable the service reads), the value
/// the bench passes, the window that value counts over (and the setting that sets the window, where there is one),
/// and the most the bench can send against the limit within one window on a machine with the given number of cores.
/// </summary>
public sealed record LiftedLimit(string Setting, long Value, TimeSpan Window, string? WindowSetting, Func<int, long> MostPerWindow)
{
    public bool OutOfReach(int cores) => MostPerWindow(cores) < Value;
}

/// <summary>
/// The limits meant for attackers that one client address, 3 000 users of one organisation and a few thousand
/// SMS a second would hit within seconds, lifted out of the bench's reach by configuration given to the bench's
/// service processes only (no shipped default changes). The limiters still run and count every request: only the
/// count at which they refuse is out of reach. "Out of reach" rests on two bounds that hold on any machine:
/// <see cref="MostRequestsPerSecond"/> and <see cref="MostSignInsPerCorePerSecond"/>.
/// </summary>
public static class BenchLimits
{
    /// <summary>More HTTP requests per second than one load generator can send through the Gateway on any machine: each
    /// request crosses loopback three times (client → Gateway → Challenges, Gateway → Redis) from at most 64
    /// connections; the Gateway serves ~3 500/s and Challenges alone ~8 500/s on the 2-core machine here.</summary>
    public const long MostRequestsPerSecond = 1_000_000;

    /// <summary>A sign-in verifies one PBKDF2-HMAC-SHA512 hash of 100 000 iterations (200 000 SHA-512 blocks): at
    /// least 10 ms of a core on any CPU (73 ms here), so no machine signs in more than 100 per core per second.</summary>
    public const int MostSignInsPerCorePerSecond = 100;

    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    public static long MostSignInsPerSecond(int cores) => (long)cores * MostSignInsPerCorePerSecond;

    /// <summary>Each user's share: the sign-ins go round the seeded users in turn (plus one where a window's edge
    /// splits a turn).</summary>
    public static long MostSignInsPerUserPerSecond(int cores) => MostSignInsPerSecond(cores) / AccountsScenarios.UserCount + 1;

    /// <summary>Sign-ins (each one SMS) in a whole run at the most rate: P3's warm-up and measured window, P5, and the
    /// first sign-in that checks the flow.</summary>
    public static long MostSignInsPerRun(int cores) =>
        MostSignInsPerSecond(cores) * (long)Math.Ceiling(AccountsScenarios.SignInTime(BenchSettings.Full).TotalSeconds) + 1;

    /// <summary>SMS through the Notifier: P4's messages (supply-bound, whatever the machine) or a second of sign-ins.</summary>
    public static long MostSmsPerSecond(int cores) =>
        Math.Max(NotifierScenario.MessagesPerRun(BenchSettings.Full), MostSignInsPerSecond(cores));

    public static readonly IReadOnlyList<LiftedLimit> Lifted =
    [
        // The Gateway's window is its own minute; int.MaxValue is ~35 million requests a second from one address.
        new("Gateway__RateLimits__AnonymousPerIpPerMinute", int.MaxValue, Minute, null, _ => MostRequestsPerSecond * 60),
        new("Gateway__RateLimits__PerUserPerMinute", int.MaxValue, Minute, null, _ => MostRequestsPerSecond * 60),
        // Challenges counts each SMS send; every sign-in is one, all from the bench's address and one organisation.
        new("Challenges__Limits__PerClientIp", 100_000, Second, "Challenges__Limits__PerClientIpWindow", MostSignInsPerSecond),
        new("Challenges__Limits__PerOrganisation", 1_000_000, Second, "Challenges__Limits__PerOrganisationWindow", MostSignInsPerSecond),
        new("Challenges__Limits__PerNumberPrefix", 100_000, Second, "Challenges__Limits__PerNumberPrefixWindow", MostSignInsPerSecond),
        new("Challenges__Limits__PerDestination", 100_000, Second, "Challenges__Limits__PerDestinationWindow", MostSignInsPerUserPerSecond),
        new("Challenges__Limits__PerUser", 100_000, Second, "Challenges__Limits__PerUserWindow", MostSignInsPerUserPerSecond),
        new("Challenges__Limits__SendsPerDestination", 100, Second, "Challenges__Limits__SendWindow", MostSignInsPerUserPerSecond),
        new("Challenges__Limits__DailySmsBudget", 10_000_000, Day, null, MostSignInsPerRun),
        new("Challenges__Limits__PlatformDailySmsCeiling", 100_000_000, Day, null, MostSignInsPerRun),
        // The provider's own rate (1/s for a Twilio long code): 100 000 is its validated maximum.
        new("Notifier__SmsResilience__MessagesPerSecond", 100_000, Second, null, MostSmsPerSecond),
        // Sends waiting for that rate at once: never more than a second's sends, as the rate is never reached.
        new("Notifier__SmsResilience__QueueLimit", 100_000, Second, null, MostSmsPerSecond),
    ];

    /// <summary>Every lifted limit and its window as environment variables for the services.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Environment()
    {
        foreach (var limit in Lifted)
        {
            yield return new(limit.Setting, limit.Value.ToString(CultureInfo.InvariantCulture));
            if (limit.WindowSetting is { } window) yield return new(window, limit.Window.ToString("c", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The limits this machine's cores could reach (none, unless it has thousands of them).</summary>
    public static IReadOnlyList<LiftedLimit> Reachable(int cores) => [.. Lifted.Where(limit => !limit.OutOfReach(cores))];
}
