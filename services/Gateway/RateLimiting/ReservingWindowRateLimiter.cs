using System.Threading.RateLimiting;

namespace FlexWhere.Gateway.RateLimiting;

/// <summary>
/// A fixed-window limit per key whose count lives in Redis, so that it holds across Gateway replicas, without a
/// Redis round trip per request: a replica reserves permits in blocks (one <c>INCRBY</c> of the block) and hands
/// them out from memory until the block is used up. Every permit handed out was reserved in Redis first, so all
/// replicas together never pass more than the limit in a window. The error is the other way: a block another replica
/// reserved and has not used yet is not available here, so a key may be refused up to
/// (replicas − 1) × <see cref="BlockSize"/> permits early. A block is 1/32 of the limit, at most 64, so a limit of 5
/// is counted one by one and the sign-in limit of 300 a minute in blocks of 9.
/// While Redis is unreachable a replica still hands out what it reserved earlier in the window, then fails closed:
/// the reservation throws, and the Gateway answers 503.
/// </summary>
public sealed class ReservingWindowRateLimiter : RateLimiter
{
    // INCRBY the block; the first reservation of a window starts its expiry. Answers the count reserved in all and the
    // milliseconds left in the window.
    private const string ReserveScript = """
        local reserved = redis.call('INCRBY', KEYS[1], ARGV[1])
        if reserved == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        local left = redis.call('PTTL', KEYS[1])
        if left < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); left = tonumber(ARGV[2]) end
        return { reserved, left }
        """;

    private static readonly RateLimitLease Granted = new Lease(true, null);
    private static readonly RateLimitLease NotHere = new Lease(false, null);

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKey _key;
    private readonly int _limit;
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    private int _local;
    private bool _exhausted;
    private long _windowEnds;
    private long _lastUsed;
    private Task? _reserving;

    public ReservingWindowRateLimiter(IConnectionMultiplexer redis, string key, int limit, TimeSpan window, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromMilliseconds(1));
        (_redis, _key, _limit, _window, _time) = (redis, key, limit, window, time);
        _lastUsed = time.GetTimestamp();
    }

    /// <summary>How many permits one reservation takes from Redis: 1/32 of the limit, at least 1 and at most 64.</summary>
    public int BlockSize => Math.Clamp(_limit / 32, 1, 64);

    /// <summary>Null (not idle) while this replica holds reserved permits of a window that has not ended: the rate-limiting
    /// middleware drops idle limiters, and a dropped limiter's block would stay counted in Redis unused, so a key that
    /// sends a request every few seconds would lose a block each time and be refused early.</summary>
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                return _local > 0 && _time.GetTimestamp() < _windowEnds ? null : _time.GetElapsedTime(_lastUsed);
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate) return new RateLimiterStatistics { CurrentAvailablePermits = _local };
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_gate) return TakeLocal(permitCount) ?? NotHere;
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, _limit);
        while (true)
        {
            Task reserving;
            TaskCompletionSource? mine = null;
            lock (_gate)
            {
                if (TakeLocal(permitCount) is { } lease) return lease;
                if (_reserving is null)
                {
                    mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _reserving = mine.Task;
                }

                reserving = _reserving;
            }

            // One reservation at a time per key: the request that starts it makes the round trip, the others wait for it.
            if (mine is null)
            {
                await reserving.WaitAsync(cancellationToken);
                continue;
            }

            try
            {
                await ReserveAsync();
                mine.SetResult();
            }
            catch (Exception exception)
            {
                lock (_gate) _reserving = null;
                mine.SetException(exception);
                // The waiters, if any, get it from the task; this caller throws it. Read so that no waiter is needed.
                _ = mine.Task.Exception;
                throw;
            }
        }
    }

    // Under _gate: a lease from what this replica holds, a refusal while the window is used up, or null: reserve more.
    private RateLimitLease? TakeLocal(int permitCount)
    {
        var now = _time.GetTimestamp();
        _lastUsed = now;
        if (now >= _windowEnds)
        {
            (_local, _exhausted) = (0, false);
            return null;
        }

        // Zero permits asks whether any are left: not once the window is used up and nothing is held here.
        if (_local >= permitCount && !(permitCount == 0 && _exhausted && _local == 0))
        {
            _local -= permitCount;
            return Granted;
        }

        return _exhausted ? new Lease(false, _time.GetElapsedTime(now, _windowEnds)) : null;
    }

    private async Task ReserveAsync()
    {
        var block = BlockSize;
        var answer = (RedisResult[]?)await _redis.GetDatabase().ScriptEvaluateAsync(ReserveScript, [_key],
            [block, (long)_window.TotalMilliseconds]);
        var reserved = (long)answer![0];
        var left = TimeSpan.FromMilliseconds((long)answer[1]);
        var granted = (int)Math.Clamp(_limit - (reserved - block), 0, block);
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var ends = now + (long)(left.TotalSeconds * _time.TimestampFrequency);
            // A reservation that opened a new window replaces what was held for the old one.
            if (now >= _windowEnds || ends - _windowEnds > _window.TotalSeconds / 2 * _time.TimestampFrequency) _local = 0;
            _windowEnds = ends;
            _local += granted;
            _exhausted = reserved >= _limit;
            _reserving = null;
        }
    }

    private sealed class Lease(bool isAcquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => isAcquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
