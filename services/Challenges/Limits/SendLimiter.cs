namespace FlexWhere.Challenges.Limits;

/// <summary>Who is asking for an SMS: every limit is counted against one of these.</summary>
public sealed record SendRequester(Guid OrganisationId, Guid UserId, string ClientIp, Destination Destination);

/// <summary>A refused send: which limit, and when it would be allowed again.</summary>
public sealed record LimitRefusal(ChallengeRefusalCode Code, string Limit, TimeSpan RetryAfter);

/// <summary>An admitted send; <see cref="BudgetUsed"/> counts it.</summary>
public sealed record Admission(string Member, int BudgetUsed, DateOnly BudgetDay, IReadOnlyList<RedisKey> Windows, RedisKey BudgetKey,
    RedisKey PlatformBudgetKey);

/// <summary>
/// Sliding windows (one sorted set per limit, member = the send's message id) and two daily budget
/// counters (the organisation's, the platform's), checked and taken in one script: a refused send
/// takes nothing, parallel sends cannot overspend, and a send that never went out can be handed back.
/// A priority send may use the reserves: the organisation's <see cref="LimitOptions.PriorityReserveRatio"/>
/// and <see cref="LimitOptions.PlatformPriorityReserve"/> above the platform's ceiling.
/// </summary>
public sealed class SendLimiter(IConnectionMultiplexer redis, RedisKeys keys, IOptions<LimitOptions> options)
{
    private const ChallengeRefusalCode SendLimitReached = ChallengeRefusalCode.SendLimitReached;
    private const ChallengeRefusalCode RateLimited = ChallengeRefusalCode.RateLimited;
    private const ChallengeRefusalCode BudgetExhausted = ChallengeRefusalCode.SmsBudgetExhausted;

    private static readonly string AdmitScript = """
        local now = tonumber(ARGV[1])
        local n = tonumber(ARGV[3])
        for i = 1, n do
          local limit = tonumber(ARGV[2 + 2 * i])
          local window = tonumber(ARGV[3 + 2 * i])
          redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
          if redis.call('ZCARD', KEYS[i]) >= limit then
            local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
            local retry = window
            if oldest[2] then retry = tonumber(oldest[2]) + window - now end
            return {i, retry}
          end
        end
        local budget = tonumber(ARGV[4 + 2 * n])
        local platform = tonumber(ARGV[7 + 2 * n])
        local used = 0
        if budget >= 0 then
          used = tonumber(redis.call('GET', KEYS[n + 1]) or '0')
          if used >= budget then return {n + 1, tonumber(ARGV[6 + 2 * n])} end
        end
        if platform >= 0 then
          if tonumber(redis.call('GET', KEYS[n + 2]) or '0') >= platform then return {n + 2, tonumber(ARGV[6 + 2 * n])} end
        end
        for i = 1, n do
          redis.call('ZADD', KEYS[i], now, ARGV[2])
          redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[3 + 2 * i]))
        end
        if budget >= 0 then
          used = redis.call('INCR', KEYS[n + 1])
          redis.call('PEXPIRE', KEYS[n + 1], tonumber(ARGV[5 + 2 * n]))
        end
        if platform >= 0 then
          redis.call('INCR', KEYS[n + 2])
          redis.call('PEXPIRE', KEYS[n + 2], tonumber(ARGV[5 + 2 * n]))
        end
        return {0, used}
        """;

    // The last two keys are the budget counters, the rest the windows.
    private static readonly string ReleaseScript = """
        for i = 1, #KEYS - 2 do redis.call('ZREM', KEYS[i], ARGV[1]) end
        for i = #KEYS - 1, #KEYS do
          if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
        end
        return 1
        """;

    private readonly record struct Window(RedisKey Key, int Permits, TimeSpan Length, ChallengeRefusalCode Code, string Name);

    private IEnumerable<Window> Windows(SendRequester who)
    {
        var o = options.Value;
        yield return new(keys.DestinationSends(who.Destination.E164), o.SendsPerDestination, o.SendWindow, SendLimitReached,
            "destination_sends");
        yield return new(keys.DestinationRate(who.Destination.E164), o.PerDestination, o.PerDestinationWindow, RateLimited, "destination");
        yield return new(keys.UserRate(who.UserId), o.PerUser, o.PerUserWindow, RateLimited, "user");
        yield return new(keys.ClientIpRate(who.ClientIp), o.PerClientIp, o.PerClientIpWindow, RateLimited, "client_ip");
        yield return new(keys.OrganisationRate(who.OrganisationId), o.PerOrganisation, o.PerOrganisationWindow, RateLimited,
            "organisation");
        yield return new(keys.NumberPrefixRate(who.Destination.Prefix(o.PrefixFreeDigits)), o.PerNumberPrefix, o.PerNumberPrefixWindow,
            RateLimited, "number_prefix");
    }

    public Task<(Admission? Admitted, LimitRefusal? Refused)> AdmitAsync(SendRequester who, string member, DateTimeOffset now,
        bool priority = false) =>
        AdmitAsync(Windows(who).ToArray(), who.OrganisationId, member, now, priority);

    /// <summary>A notice (no code, nobody waiting to type it): throttled per number and organisation,
    /// and always a priority send, as it tells an admin of a change to how they sign in.</summary>
    public Task<(Admission? Admitted, LimitRefusal? Refused)> AdmitNoticeAsync(Guid organisationId, Destination destination, string member,
        DateTimeOffset now)
    {
        var o = options.Value;
        Window[] windows =
        [
            new(keys.DestinationRate(destination.E164), o.PerDestination, o.PerDestinationWindow, RateLimited, "destination"),
            new(keys.OrganisationRate(organisationId), o.PerOrganisation, o.PerOrganisationWindow, RateLimited, "organisation"),
        ];
        return AdmitAsync(windows, organisationId, member, now, priority: true);
    }

    private async Task<(Admission? Admitted, LimitRefusal? Refused)> AdmitAsync(Window[] windows, Guid organisationId, string member,
        DateTimeOffset now, bool priority)
    {
        var o = options.Value;
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        var budgetKey = keys.SmsBudget(organisationId, day);
        var platformKey = keys.PlatformSmsBudget(day);
        var untilTomorrow = new DateTimeOffset(day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) - now;

        var args = new List<RedisValue> { now.ToUnixTimeMilliseconds(), member, windows.Length };
        foreach (var window in windows)
        {
            args.Add(window.Permits);
            args.Add((long)window.Length.TotalMilliseconds);
        }

        args.Add(priority ? o.DailySmsBudget : OpenToEveryone(o));
        args.Add((long)TimeSpan.FromDays(2).TotalMilliseconds);
        args.Add((long)untilTomorrow.TotalMilliseconds);
        args.Add(priority ? (long)o.PlatformDailySmsCeiling + o.PlatformPriorityReserve : o.PlatformDailySmsCeiling);

        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
            AdmitScript, [.. windows.Select(w => w.Key), budgetKey, platformKey], [.. args]))!;
        var index = (int)result[0];
        var value = (long)result[1];
        if (index == 0)
        {
            return (new Admission(member, (int)value, day, [.. windows.Select(w => w.Key)], budgetKey, platformKey), null);
        }

        var retryAfter = TimeSpan.FromMilliseconds(Math.Max(1000, value));
        if (index <= windows.Length) return (null, new LimitRefusal(windows[index - 1].Code, windows[index - 1].Name, retryAfter));
        return index == windows.Length + 1
            ? (null, new LimitRefusal(BudgetExhausted, OrganisationBudget, retryAfter))
            : (null, new LimitRefusal(BudgetExhausted, PlatformBudget, retryAfter));
    }

    public const string OrganisationBudget = "organisation_daily_budget";
    public const string PlatformBudget = "platform_daily_budget";

    /// <summary>The part of the organisation's budget a send without priority may use; at least one,
    /// so a tiny budget does not shut ordinary users out entirely.</summary>
    private static int OpenToEveryone(LimitOptions o) =>
        Math.Max(1, o.DailySmsBudget - (int)Math.Round(o.DailySmsBudget * o.PriorityReserveRatio));

    /// <summary>The send did not happen: give back everything it took.</summary>
    public Task ReleaseAsync(Admission admission) =>
        redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [.. admission.Windows, admission.BudgetKey, admission.PlatformBudgetKey],
            [admission.Member]);

    /// <summary>The windows a failed SMS is given back to (member = its message id): it does not count
    /// against the sends to that number. <see cref="Codes.ChallengeStore.RecordFailureAsync"/> releases it.</summary>
    public (RedisKey Sends, RedisKey Rate) DestinationWindows(Destination destination) =>
        (keys.DestinationSends(destination.E164), keys.DestinationRate(destination.E164));
}
