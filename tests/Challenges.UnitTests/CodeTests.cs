using System.Security.Cryptography;
using FlexWhere.Challenges.Codes;
using FlexWhere.Contracts;
using Microsoft.Extensions.Options;

namespace FlexWhere.Challenges.UnitTests;

public class CodeTests
{
    private static readonly CodeHasher Hasher = new(Options.Create(new ChallengeOptions { CodeHashKey = new string('k', 48) }));

    [Fact]
    public void Codes_are_six_digits_and_spread_over_the_whole_range()
    {
        var codes = Enumerable.Range(0, 20_000).Select(_ => CodeHasher.NewCode()).ToList();

        Assert.All(codes, code => Assert.Matches("^[0-9]{6}$", code));
        Assert.True(codes.Distinct().Count() > 19_000, "20 000 codes from a million should rarely repeat");
        // Each leading digit is about a tenth of the codes; a modulo bias or a short range would skew this.
        Assert.All(codes.GroupBy(code => code[0]), group => Assert.InRange(group.Count(), 1_600, 2_400));
    }

    [Fact]
    public void Challenge_ids_carry_128_random_bits_in_url_safe_text()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => CodeHasher.NewChallengeId()).ToList();

        Assert.All(ids, id => Assert.Matches("^[A-Za-z0-9_-]{22}$", id));
        Assert.All(ids, id => Assert.True(CodeHasher.IsChallengeId(id)));
        Assert.Equal(1000, ids.Distinct().Count());
        Assert.False(CodeHasher.IsChallengeId("../../etc/passwd"));
        Assert.False(CodeHasher.IsChallengeId("AAAA"));
    }

    [Fact]
    public void The_hash_binds_the_code_to_its_challenge_and_purpose_and_key()
    {
        var hash = Hasher.Hash("challenge-a", ChallengePurposes.SignIn, "123456");
        var otherKey = new CodeHasher(Options.Create(new ChallengeOptions { CodeHashKey = new string('j', 48) }));

        Assert.Equal(32, hash.Length);
        Assert.True(CryptographicOperations.FixedTimeEquals(hash, Hasher.Hash("challenge-a", ChallengePurposes.SignIn, "123456")));
        Assert.False(CryptographicOperations.FixedTimeEquals(hash, Hasher.Hash("challenge-b", ChallengePurposes.SignIn, "123456")));
        var otherPurpose = Hasher.Hash("challenge-a", ChallengePurposes.PhoneVerification, "123456");
        Assert.False(CryptographicOperations.FixedTimeEquals(hash, otherPurpose));
        Assert.False(CryptographicOperations.FixedTimeEquals(hash, Hasher.Hash("challenge-a", ChallengePurposes.SignIn, "123457")));
        Assert.False(CryptographicOperations.FixedTimeEquals(hash, otherKey.Hash("challenge-a", ChallengePurposes.SignIn, "123456")));
    }

    [Fact]
    public void Redis_key_names_never_contain_a_phone_number_or_ip()
    {
        var keys = new RedisKeys(Hasher.Pseudonymise);

        Assert.DoesNotContain("31612345678", keys.DestinationSends("+31612345678").ToString());
        Assert.DoesNotContain("203.0.113.7", keys.ClientIpRate("203.0.113.7").ToString());
        Assert.StartsWith("challenges:", keys.DestinationSends("+31612345678").ToString());
        Assert.NotEqual(keys.DestinationSends("+31612345678"), keys.DestinationSends("+31612345679"));
    }
}
