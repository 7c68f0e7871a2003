using System.Security.Cryptography;
using System.Text;
using FlexWhere.Accounts.Mfa;

namespace FlexWhere.Accounts.UnitTests;

public class RecoveryCodeTests
{
    private const string Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    [Fact]
    public void New_codes_have_at_least_112_bits_so_a_plain_sha256_at_rest_is_enough()
    {
        Assert.True(RecoveryCodes.EntropyBits >= 112, $"{RecoveryCodes.EntropyBits} bits");
        Assert.Equal(120, RecoveryCodes.EntropyBits);
    }

    [Fact]
    public void New_codes_are_six_groups_of_four_crockford_characters()
    {
        for (var i = 0; i < 100; i++)
        {
            Assert.Matches("^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$", RecoveryCodes.NewCode());
        }
    }

    [Fact]
    public void Every_position_draws_from_the_whole_alphabet()
    {
        // 2,000 codes: a character missing from a position by chance has p = 32 × (31/32)^2000, about 10^-26.
        var seen = Enumerable.Range(0, RecoveryCodes.Length).Select(_ => new HashSet<char>()).ToArray();
        for (var i = 0; i < 2000; i++)
        {
            var code = RecoveryCodes.NewCode().Replace("-", "");
            for (var position = 0; position < code.Length; position++) seen[position].Add(code[position]);
        }

        Assert.All(seen, characters => Assert.Equal(Crockford.Length, characters.Count));
    }

    [Theory]
    [InlineData("ABCD-EFGH-JKMN-PQRS-TVWX-YZ12", "ABCDEFGHJKMNPQRSTVWXYZ12")]
    [InlineData("abcd efgh jkmn pqrs tvwx yz12", "ABCDEFGHJKMNPQRSTVWXYZ12")]
    [InlineData("ABCDEFGHJKMNPQRSTVWXYZ12", "ABCDEFGHJKMNPQRSTVWXYZ12")]
    [InlineData("  0o1i-lL00-0000-0000-0000-0000 ", "001111000000000000000000")]
    [InlineData("ABCD-EFGH-JKMN-PQRS", "ABCDEFGHJKMNPQRS")]
    [InlineData("abcd efgh jkmn pqrs", "ABCDEFGHJKMNPQRS")]
    public void Typed_codes_are_normalised_as_generated(string typed, string expected) =>
        Assert.Equal(expected, RecoveryCodes.Normalize(typed));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ABCD-EFGH-JKMN-PQR")]
    [InlineData("ABCD-EFGH-JKMN-PQRS-T")]
    [InlineData("ABCD-EFGH-JKMN-PQRS-TVWX")]
    [InlineData("ABCD-EFGH-JKMN-PQRS-TVWX-YZ1")]
    [InlineData("ABCD-EFGH-JKMN-PQRS-TVWX-YZ123")]
    [InlineData("ABCD-EFGH-JKMN-PQRS-TVWX-YZ1U")]
    [InlineData("ABCD-EFGH-JKMN-PQRS-TVWX-YZ1é")]
    [InlineData("ABCD_EFGH_JKMN_PQRS_TVWX_YZ12")]
    public void Anything_else_is_not_a_code(string? typed) => Assert.Null(RecoveryCodes.Normalize(typed));

    [Fact]
    public void A_code_issued_before_the_change_hashes_as_it_did_then()
    {
        // Rows written for 16-character codes hold SHA-256 of the normalised code: they must still match.
        var stored = SHA256.HashData(Encoding.ASCII.GetBytes("ABCDEFGHJKMNPQRS"));

        Assert.Equal(stored, RecoveryCodes.Hash(RecoveryCodes.Normalize("abcd-efgh-jkmn-pqrs")!));
    }
}
