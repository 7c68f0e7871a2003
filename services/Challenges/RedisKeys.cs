namespace FlexWhere.Challenges;

/// <summary>Every Redis key Challenges uses, in one place; each is written with a TTL. Destinations
/// appear only as keyed hashes so a dump of the key space lists no phone numbers.</summary>
public sealed class RedisKeys(Func<string, string> pseudonymise)
{
    private const string Prefix = "challenges:";

    public RedisKey Challenge(string challengeId) => $"{Prefix}challenge:{challengeId}";

    public RedisKey DestinationSends(string e164) => $"{Prefix}sends:dest:{pseudonymise(e164)}";

    public RedisKey DestinationRate(string e164) => $"{Prefix}rate:dest:{pseudonymise(e164)}";

    public RedisKey UserRate(Guid userId) => $"{Prefix}rate:user:{userId:N}";

    public RedisKey ClientIpRate(string clientIp) => $"{Prefix}rate:ip:{pseudonymise(clientIp)}";

    public RedisKey OrganisationRate(Guid organisationId) => $"{Prefix}rate:org:{organisationId:N}";

    public RedisKey NumberPrefixRate(string prefix) => $"{Prefix}rate:prefix:{pseudonymise(prefix)}";

    public RedisKey SmsBudget(Guid organisationId, DateOnly day) => $"{Prefix}budget:{organisationId:N}:{day:yyyyMMdd}";

    public RedisKey PlatformSmsBudget(DateOnly day) => $"{Prefix}budget-platform:{day:yyyyMMdd}";
}
