using System.Threading.RateLimiting;
using FlexWhere.Notifier.Sending;
using StackExchange.Redis;

namespace FlexWhere.Notifier.Providers.Twilio;

/// <summary>
/// The provider's send rate, counted in Redis across every Notifier replica: one call to Twilio every
/// 1/<see cref="SmsResilienceOptions.MessagesPerSecond"/> seconds for all replicas together, so three replicas do not
/// send three times what the number may carry. Each call books the next free slot (one round trip, first come first
/// served across replicas) and waits for it, so a send beyond the rate waits instead of failing. Redis's own clock
/// decides the slots, so the replicas' clocks need not agree.
/// <para>A send fails (transiently: MassTransit tries it again) only when this replica already has
/// <see cref="SmsResilienceOptions.QueueLimit"/> sends waiting, or when the next free slot is further away than
/// <see cref="LongestWait"/>: the claim a replica holds while it sends must outlast the wait
/// (<see cref="ClaimOutlastsPipelineValidation"/>), or another replica could send the same message meanwhile.</para>
/// </summary>
public sealed class SharedSendRate(IConnectionMultiplexer redis, IOptions<SmsResilienceOptions> resilience,
    IOptions<SendingOptions> sending, IOptions<TwilioOptions> twilio) : RateLimiter
{
    // KEYS[1]: the next free slot, in microseconds of Redis's clock. ARGV[1]: microseconds between sends; ARGV[2]: the
    // longest wait, in microseconds. Returns the wait before the booked slot, or -1 (nothing booked) when it is too far.
    // %.0f keeps every digit of the time: tostring would round it to 14. TIME before a write needs Redis 5 or later (scripts
    // replicated by their effects).
    private const string BookScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
        if slot < now then slot = now end
        if slot - now > tonumber(ARGV[2]) then return -1 end
        local following = slot + tonumber(ARGV[1])
        redis.call('SET', KEYS[1], string.format('%.0f', following), 'PX', math.floor((following - now) / 1000) + 1000)
        return slot - now
        """;

    private int _waiting;

    private long IntervalMicroseconds => Math.Max(1, 1_000_000L / resilience.Value.MessagesPerSecond);

    /// <summary>As long as this replica's own concurrent sends take at the rate: what the claim's TTL is checked against.</summary>
    public TimeSpan LongestWait => ClaimOutlastsPipelineValidation.RateLimitWaitPerAttempt(resilience.Value, sending.Value.ConcurrentMessageLimit);

    public override TimeSpan? IdleDuration => null;

    public override RateLimiterStatistics GetStatistics() => new() { CurrentQueuedCount = Volatile.Read(ref _waiting) };

    // Polly only ever acquires asynchronously; a synchronous caller gets a slot only if one is free right now.
    protected override RateLimitLease AttemptAcquireCore(int permitCount) =>
        (long)redis.GetDatabase().ScriptEvaluate(BookScript, [Key], [IntervalMicroseconds, 0L]) == 0
            ? Lease.Granted
            : Lease.Refused(IntervalMicroseconds);

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _waiting) > resilience.Value.QueueLimit)
        {
            Interlocked.Decrement(ref _waiting);
            return Lease.Refused(IntervalMicroseconds);
        }

        try
        {
            if (await Book(LongestWait) is not { } wait) return Lease.Refused((long)LongestWait.TotalMicroseconds);
            // Real time, not the TimeProvider: the slot is on Redis's clock, which a fake clock does not move.
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
            return Lease.Granted;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private RedisKey Key => NotifierKeys.ProviderRate(twilio.Value.MessagingServiceSid ?? twilio.Value.From ?? "");

    private async Task<TimeSpan?> Book(TimeSpan maxWait)
    {
        var result = (long)await redis.GetDatabase().ScriptEvaluateAsync(BookScript, [Key],
            [IntervalMicroseconds, (long)maxWait.TotalMicroseconds]);
        return result < 0 ? null : TimeSpan.FromMicroseconds(result);
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Granted = new(true, null);

        public static Lease Refused(long retryAfterMicroseconds) => new(false, TimeSpan.FromMicroseconds(retryAfterMicroseconds));

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
            return metadata is not null;
        }
    }
}
