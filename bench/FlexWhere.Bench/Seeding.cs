using FlexWhere.Challenges;
using FlexWhere.Challenges.Codes;
using FlexWhere.Contracts;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlexWhere.Bench;

/// <summary>A challenge written straight into Redis as the service would, with its plaintext code kept for the verify.</summary>
public sealed record SeededChallenge(string Id, string Code);

/// <summary>Writes pending sign-in challenges with the service's own store and HMAC key, so the
/// service verifies them exactly as if it had issued them (no SMS, no send limits involved).</summary>
public sealed class ChallengeSeeder
{
    public ChallengeSeeder(IConnectionMultiplexer redis, string codeHashKey)
    {
        var options = Options.Create(new ChallengeOptions { CodeHashKey = codeHashKey });
        Hasher = new CodeHasher(options);
        Keys = new RedisKeys(Hasher.Pseudonymise);
        Store = new ChallengeStore(redis, Keys, options, NullLogger<ChallengeStore>.Instance);
    }

    public CodeHasher Hasher { get; }
    public RedisKeys Keys { get; }
    public ChallengeStore Store { get; }

    public async Task<SeededChallenge[]> SeedAsync(int count)
    {
        var now = DateTimeOffset.UtcNow;
        var seeded = new SeededChallenge[count];
        const int batch = 2000;
        for (var start = 0; start < count; start += batch)
        {
            var writes = new List<Task>(batch);
            for (var i = start; i < Math.Min(count, start + batch); i++)
            {
                var id = CodeHasher.NewChallengeId();
                var code = CodeHasher.NewCode();
                seeded[i] = new SeededChallenge(id, code);
                writes.Add(Store.CreateAsync(
                    new ChallengeState(id, ChallengeStates.Pending, ChallengePurposes.SignIn, Guid.NewGuid(), Guid.NewGuid(),
                        "+31612345678", "en", "203.0.113.7",
                        0, 5, now.AddMinutes(10), now.AddSeconds(30), Guid.NewGuid().ToString("N"), DeliveryStates.Queued, null, null),
                    Hasher.Hash(id, ChallengePurposes.SignIn, code),
                    TimeSpan.FromMinutes(20)));
            }

            await Task.WhenAll(writes);
        }

        return seeded;
    }
}
