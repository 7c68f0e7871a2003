namespace FlexWhere.Challenges;

/// <summary>Every Redis key Challenges uses, in one place; each is written with a TTL. Destinations
/// appear only as keyed hashes so a dump of the key space lists no phone numbers.</summary>
/// <remarks>
/// Hash tags (the part in braces) pick a key's Redis Cluster slot, and a script's keys must share one.
/// A challenge's hash is tagged by its id, so challenges spread over the cluster. The limits are one
/// script over the windows and the two budgets, and the platform's budget is one global counter, so
/// every limit key carries the same tag, <c>{limits}</c>: all sends are admitted by one primary. That
/// is the price of a platform budget that can never be overspent.
/// </remarks>
public sealed class RedisKeys(Func<string, string> pseudonymise)
{
    private const string Prefix = "challenges:";
    private const string Limits = Prefix + "{limits}:";

    public RedisKey Challenge(string challengeId) => $"{Prefix}challenge:{{{challengeId}}}";

    public RedisKey DestinationSends(string e164) => $"{Limits}sends:dest:{pseudonymise(e164)}";

    public RedisKey DestinationRate(string e164) => $"{Limits}rate:dest:{pseudonymise(e164)}";

    public RedisKey UserRate(Guid userId) => $"{Limits}rate:user:{userId:N}";

    public RedisKey ClientIpRate(string clientIp) => $"{Limits}rate:ip:{pseudonymise(clientIp)}";

    public RedisKey OrganisationRate(Guid organisationId) => $"{Limits}rate:org:{organisationId:N}";

    public RedisKey NumberPrefixRate(string prefix) => $"{Limits}rate:prefix:{pseudonymise(prefix)}";

    public RedisKey SmsBudget(Guid organisationId, DateOnly day) => $"{Limits}budget:{organisationId:N}:{day:yyyyMMdd}";

    public RedisKey PlatformSmsBudget(DateOnly day) => $"{Limits}budget-platform:{day:yyyyMMdd}";
}
