using System.Globalization;

namespace FlexWhere.Challenges.Codes;

/// <summary>A challenge as Redis keeps it (one hash per challenge). No plaintext code: only its HMAC.</summary>
public sealed record ChallengeState(
    string Id,
    string State,
    string Purpose,
    Guid OrganisationId,
    Guid UserId,
    string Destination,
    string Locale,
    string ClientIp,
    int Attempts,
    int MaxAttempts,
    DateTimeOffset ExpiresAt,
    DateTimeOffset ResendAfter,
    string? MessageId,
    string Delivery,
    string? DeliveryReason,
    DateTimeOffset? DeliveryAt,
    bool Priority = false);

public static class ChallengeStates
{
    public const string Pending = "pending";
    public const string Verified = "verified";
    public const string Locked = "locked";
    public const string Expired = "expired";
}

public static class DeliveryStates
{
    public const string Queued = "queued";
    public const string NotSent = "not_sent";
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}

public enum VerifyOutcome { NotFound, Verified, Invalid, Locked, Used, Expired, NoCode, Stale }

public sealed record VerifyResult(VerifyOutcome Outcome, int AttemptsLeft, Guid? UserId, Guid? OrganisationId, string? Destination);

public enum ResendOutcome { Resent, NotFound, TooSoon, Expired, Closed }

public sealed class ChallengeStore(IConnectionMultiplexer redis, RedisKeys keys, IOptions<ChallengeOptions> options,
    ILogger<ChallengeStore> logger)
{
    private IDatabase Db => redis.GetDatabase();

    // Attempts are counted, the purpose checked and the code consumed in one script, so concurrent
    // verifies serialise in Redis: of two right codes exactly one sees 'pending'. The caller compared
    // the hash in constant time; the script fences on the hash it read, so a resend in between turns
    // the outcome into 'stale' rather than judging a new code with an old comparison.
    private static readonly LuaScript VerifyScript = LuaScript.Prepare("""
        local f = redis.call('HMGET', @key, 'state', 'purpose', 'codeHash', 'attempts', 'maxAttempts', 'expiresAt')
        if not f[1] then return {'not_found', 0} end
        if f[1] == 'verified' then return {'used', 0} end
        if f[1] == 'locked' then return {'locked', 0} end
        if f[1] == 'expired' or tonumber(@now) >= tonumber(f[6]) then
          redis.call('HDEL', @key, 'codeHash')
          redis.call('HSET', @key, 'state', 'expired')
          return {'expired', 0}
        end
        if not f[3] then return {'no_code', 0} end
        if f[3] ~= @readHash then return {'stale', 0} end
        local max = tonumber(f[5])
        if @matched == '1' and f[2] == @purpose then
          redis.call('HDEL', @key, 'codeHash')
          redis.call('HSET', @key, 'state', 'verified', 'verifiedAt', @now)
          local who = redis.call('HMGET', @key, 'userId', 'organisationId', 'destination')
          return {'verified', max - tonumber(f[4]), who[1], who[2], who[3]}
        end
        local attempts = tonumber(f[4]) + 1
        redis.call('HSET', @key, 'attempts', attempts)
        if attempts >= max then
          redis.call('HDEL', @key, 'codeHash')
          redis.call('HSET', @key, 'state', 'locked')
          return {'locked', 0}
        end
        return {'invalid', max - attempts}
        """);

    private static readonly LuaScript ResendScript = LuaScript.Prepare("""
        local f = redis.call('HMGET', @key, 'state', 'expiresAt', 'resendAfter')
        if not f[1] then return {'not_found', 0} end
        if f[1] == 'expired' or tonumber(@now) >= tonumber(f[2]) then return {'expired', 0} end
        if f[1] ~= 'pending' then return {'closed', 0} end
        if tonumber(@now) < tonumber(f[3]) then return {'too_soon', tonumber(f[3]) - tonumber(@now)} end
        redis.call('HSET', @key, 'codeHash', @codeHash, 'expiresAt', @expiresAt, 'resendAfter', @resendAfter,
          'messageId', @messageId, 'delivery', 'queued', 'deliveryReason', '', 'deliveryAt', '')
        redis.call('PEXPIRE', @key, @ttl)
        return {'resent', 0}
        """);

    // Delivery reports may arrive late or out of order: only the current send counts, and a final
    // state (delivered, failed) is never replaced by 'sent'.
    /// <summary>Returns 0 for a stale report: one for another send than the current one, or one that
    /// would move the state back. Leaves <c>f[1]</c> (the current message id) set otherwise.</summary>
    private const string StaleReportLua = """
        local f = redis.call('HMGET', @key, 'messageId', 'delivery', 'providerMessageId')
        if not f[1] then return 0 end
        if @messageId ~= '' and f[1] ~= @messageId then return 0 end
        if @messageId == '' and @providerId ~= '' and f[3] and f[3] ~= '' and f[3] ~= @providerId then return 0 end
        local rank = {queued = 0, not_sent = 0, sent = 1, delivered = 2, failed = 2}
        local current = rank[f[2]] or 0
        if current >= 2 then return 0 end
        if rank[@delivery] <= current and @delivery ~= 'not_sent' then return 0 end

        """;

    private static readonly LuaScript DeliveryScript = LuaScript.Prepare(StaleReportLua + """
        redis.call('HSET', @key, 'delivery', @delivery, 'deliveryAt', @at, 'deliveryReason', @reason)
        if @providerId ~= '' then redis.call('HSET', @key, 'providerMessageId', @providerId) end
        if @delivery == 'failed' then redis.call('HSET', @key, 'resendAfter', @at) end
        return 1
        """);

    /// <summary>The send a failure report would give back (its message id), or 0 for a stale report; changes nothing.</summary>
    private static readonly LuaScript FailedSendScript = LuaScript.Prepare(StaleReportLua + "return f[1]");

    private static readonly LuaScript NotSentScript = LuaScript.Prepare("""
        if redis.call('HGET', @key, 'messageId') ~= @messageId then return 0 end
        redis.call('HDEL', @key, 'codeHash')
        redis.call('HSET', @key, 'delivery', 'not_sent', 'deliveryAt', @at, 'deliveryReason', 'publish_failed', 'resendAfter', @at)
        return 1
        """);

    public async Task CreateAsync(ChallengeState challenge, byte[] codeHash, TimeSpan keepFor)
    {
        var key = keys.Challenge(challenge.Id);
        var transaction = Db.CreateTransaction();
        _ = transaction.HashSetAsync(key,
        [
            new("state", challenge.State),
            new("purpose", challenge.Purpose),
            new("codeHash", codeHash),
            new("organisationId", challenge.OrganisationId.ToString()),
            new("userId", challenge.UserId.ToString()),
            new("destination", challenge.Destination),
            new("locale", challenge.Locale),
            new("clientIp", challenge.ClientIp),
            new("attempts", challenge.Attempts),
            new("maxAttempts", challenge.MaxAttempts),
            new("expiresAt", challenge.ExpiresAt.ToUnixTimeMilliseconds()),
            new("resendAfter", challenge.ResendAfter.ToUnixTimeMilliseconds()),
            new("messageId", challenge.MessageId),
            new("delivery", challenge.Delivery),
            // A resend of an admin's sign-in code may use the budget's reserve as the first send did.
            new("priority", challenge.Priority ? 1 : 0),
        ]);
        _ = transaction.KeyExpireAsync(key, keepFor);
        if (!await transaction.ExecuteAsync()) throw new RedisException("The challenge was not written.");
    }

    public Task<RedisValue> ReadCodeHashAsync(string challengeId) => Db.HashGetAsync(keys.Challenge(challengeId), "codeHash");

    public async Task<VerifyResult> ConsumeAsync(string challengeId, string purpose, RedisValue readHash, bool matched, DateTimeOffset now)
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(VerifyScript, new
        {
            key = keys.Challenge(challengeId),
            purpose,
            readHash = readHash.IsNull ? RedisValue.EmptyString : readHash,
            matched = matched ? "1" : "0",
            now = now.ToUnixTimeMilliseconds(),
        }))!;
        var outcome = (string)result[0]! switch
        {
            "verified" => VerifyOutcome.Verified,
            "invalid" => VerifyOutcome.Invalid,
            "locked" => VerifyOutcome.Locked,
            "used" => VerifyOutcome.Used,
            "expired" => VerifyOutcome.Expired,
            "no_code" => VerifyOutcome.NoCode,
            "stale" => VerifyOutcome.Stale,
            _ => VerifyOutcome.NotFound,
        };
        if (outcome is VerifyOutcome.Verified or VerifyOutcome.Invalid or VerifyOutcome.Locked)
        {
            await WaitForReplicasAsync(keys.Challenge(challengeId));
        }

        return outcome == VerifyOutcome.Verified
            ? new VerifyResult(outcome, (int)result[1], Guid.Parse((string)result[2]!), Guid.Parse((string)result[3]!), (string)result[4]!)
            : new VerifyResult(outcome, (int)result[1], null, null, null);
    }

    /// <summary>WAIT: the primary holding <paramref name="key"/> has passed this connection's writes to the
    /// replicas asked for, so a failover cannot bring back a used code or forget a wrong attempt.</summary>
    private async Task WaitForReplicasAsync(RedisKey key)
    {
        var wanted = options.Value.ReplicasToAcknowledge;
        if (wanted == 0) return;
        var acknowledged = (long)await redis.GetServer(key).ExecuteAsync("WAIT", wanted,
            (long)options.Value.ReplicaAcknowledgeTimeout.TotalMilliseconds);
        if (acknowledged < wanted)
        {
            logger.LogWarning("A verify's write reached {Acknowledged} of {Wanted} Redis replicas in time", acknowledged, wanted);
        }
    }

    public async Task<(ResendOutcome Outcome, TimeSpan RetryAfter)> ReplaceCodeAsync(
        string challengeId, byte[] codeHash, string messageId, DateTimeOffset now, DateTimeOffset expiresAt, DateTimeOffset resendAfter,
            TimeSpan keepFor)
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(ResendScript, new
        {
            key = keys.Challenge(challengeId),
            codeHash,
            messageId,
            now = now.ToUnixTimeMilliseconds(),
            expiresAt = expiresAt.ToUnixTimeMilliseconds(),
            resendAfter = resendAfter.ToUnixTimeMilliseconds(),
            ttl = (long)keepFor.TotalMilliseconds,
        }))!;
        var outcome = (string)result[0]! switch
        {
            "resent" => ResendOutcome.Resent,
            "too_soon" => ResendOutcome.TooSoon,
            "expired" => ResendOutcome.Expired,
            "closed" => ResendOutcome.Closed,
            _ => ResendOutcome.NotFound,
        };
        return (outcome, TimeSpan.FromMilliseconds((long)result[1]));
    }

    /// <summary>The send never reached the broker: the code must not stay usable.</summary>
    public Task DeleteAsync(string challengeId) => Db.KeyDeleteAsync(keys.Challenge(challengeId));

    /// <summary>The resent code never reached the broker: drop it, and let the user try again at once.
    /// Only if that send is still the current one, and never recreating an expired key.</summary>
    public Task MarkNotSentAsync(string challengeId, string messageId, DateTimeOffset now) =>
        Db.ScriptEvaluateAsync(NotSentScript, new { key = keys.Challenge(challengeId), messageId, at = now.ToUnixTimeMilliseconds() });

    public async Task<bool> RecordDeliveryAsync(string challengeId, string? messageId, string? providerMessageId, string delivery,
        DateTimeOffset at, string? reason)
    {
        var changed = await Db.ScriptEvaluateAsync(DeliveryScript, new
        {
            key = keys.Challenge(challengeId),
            messageId = messageId ?? "",
            providerId = providerMessageId ?? "",
            delivery,
            at = at.ToUnixTimeMilliseconds(),
            reason = reason ?? "",
        });
        return (int)changed == 1;
    }

    /// <summary>Records a failed SMS and releases its send from the destination's windows
    /// (<paramref name="destinationSends"/>, <paramref name="destinationRate"/>).</summary>
    /// <remarks>On a Redis Cluster the challenge and the windows live in different slots (the windows share the
    /// limits' tag, <see cref="RedisKeys"/>), so this is three steps instead of one script: find the send a
    /// non-stale report fails, give it back, then record "failed". Whoever reads "failed" can therefore resend at
    /// once. A crash in between gives back a send that did fail, and the report's redelivery records it.</remarks>
    public async Task<bool> RecordFailureAsync(string challengeId, string? messageId, string? providerMessageId, DateTimeOffset at,
        string? reason,
        RedisKey destinationSends, RedisKey destinationRate)
    {
        var failedSend = await Db.ScriptEvaluateAsync(FailedSendScript, new
        {
            key = keys.Challenge(challengeId),
            messageId = messageId ?? "",
            providerId = providerMessageId ?? "",
            delivery = DeliveryStates.Failed,
        });
        if (failedSend.Resp2Type != ResultType.BulkString) return false;
        await Task.WhenAll(Db.SortedSetRemoveAsync(destinationSends, (RedisValue)failedSend),
            Db.SortedSetRemoveAsync(destinationRate, (RedisValue)failedSend));
        return await RecordDeliveryAsync(challengeId, messageId, providerMessageId, DeliveryStates.Failed, at, reason);
    }

    public async Task<ChallengeState?> FindAsync(string challengeId)
    {
        var entries = await Db.HashGetAllAsync(keys.Challenge(challengeId));
        if (entries.Length == 0) return null;
        var fields = entries.ToDictionary(e => (string)e.Name!, e => e.Value);
        string Text(string name) => fields.TryGetValue(name, out var v) && !v.IsNullOrEmpty ? (string)v! : "";
        long Number(string name) => fields.TryGetValue(name, out var v)
            && long.TryParse((string?)v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var deliveryAt = Number("deliveryAt");
        return new ChallengeState(
            challengeId,
            Text("state"),
            Text("purpose"),
            Guid.Parse(Text("organisationId")),
            Guid.Parse(Text("userId")),
            Text("destination"),
            Text("locale"),
            Text("clientIp"),
            (int)Number("attempts"),
            (int)Number("maxAttempts"),
            DateTimeOffset.FromUnixTimeMilliseconds(Number("expiresAt")),
            DateTimeOffset.FromUnixTimeMilliseconds(Number("resendAfter")),
            Text("messageId") is { Length: > 0 } id ? id : null,
            Text("delivery"),
            Text("deliveryReason") is { Length: > 0 } reason ? reason : null,
            deliveryAt > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(deliveryAt) : null,
            Number("priority") == 1);
    }
}
