namespace FlexWhere.Reliability.Tests;

/// <summary>
/// How big a run is: the CI size by default (part of ./test.sh, about four minutes on two cores), the
/// full size with FLEXWHERE_RELIABILITY=full (scripts/reliability-full.sh, figures in docs/reliability.md).
/// </summary>
public static class SuiteSize
{
    public const string Variable = "FLEXWHERE_RELIABILITY";

    public static bool Full { get; } = string.Equals(Environment.GetEnvironmentVariable(Variable), "full",
        StringComparison.OrdinalIgnoreCase);

    public static string Name => Full ? "full" : "ci";

    /// <summary>R1: SendSms messages pushed through the faults.</summary>
    public static int DeliveryMessages => Full ? 10_000 : 500;

    /// <summary>R1: SendEmail messages, in one wave before each kill of the Notifier.</summary>
    public static int DeliveryEmails => Full ? 2_000 : 150;

    /// <summary>R3: malformed requests sent through the Gateway.</summary>
    public static int BadRequests => Full ? 10_000 : 600;

    /// <summary>How long R1 may take to settle every message at most.</summary>
    public static TimeSpan DeliveryDeadline => Full ? TimeSpan.FromMinutes(25) : TimeSpan.FromMinutes(12);

    /// <summary>How long R1 waits while no message settles before it calls delivery stalled: a stall
    /// fails without waiting out the deadline, while a machine busy with other tests only makes the run
    /// slower. After the broker restart MassTransit reconnects with growing waits (7, 11, 17, 27 s were
    /// seen on a busy machine), so the window is well above one of them.</summary>
    public static TimeSpan DeliveryStall => TimeSpan.FromMinutes(5);
}
