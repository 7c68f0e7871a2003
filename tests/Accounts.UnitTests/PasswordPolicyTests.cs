using FlexWhere.Contracts;
using FlexWhere.Accounts.Users;

namespace FlexWhere.Accounts.UnitTests;

public class PasswordPolicyTests
{
    private const string Email = "j.de.vries@acme.example";

    [Fact]
    public void Ships_at_least_100000_common_and_breached_passwords() => Assert.True(CommonPasswords.Count >= 100_000);

    [Theory]
    [InlineData("password1234")]
    [InlineData("qwertyuiopasdfgh")]
    [InlineData("1q2w3e4r5t6y")]
    [InlineData("iloveyou1234")]
    [InlineData("PASSWORD1234")] // the list is compared in lower case
    [InlineData("ｐａｓｓｗｏｒｄ１２３４")] // and after NFKC: full-width letters are the same password
    public void Refuses_a_common_password(string password) =>
        Assert.Equal(ProblemCodes.PasswordTooCommon, PasswordPolicy.Check(password, Email)?.Code);

    [Theory]
    [InlineData("eleven-char")]
    [InlineData("😀😀😀😀😀😀😀😀😀😀😀")] // 11 characters, 22 UTF-16 units: counted as characters
    public void Refuses_fewer_than_twelve_characters(string password) =>
        Assert.Equal(ProblemCodes.PasswordTooShort, PasswordPolicy.Check(password, Email)?.Code);

    [Fact]
    public void Refuses_more_than_128_characters() =>
        Assert.Equal(ProblemCodes.PasswordTooLong, PasswordPolicy.Check(new string('x', 64) + new string('y', 65), Email)?.Code);

    [Theory]
    [InlineData("j.de.vries-zomer-2026")] // the e-mail name
    [InlineData("my-FlexWhere-login-7")] // the product
    [InlineData("abababababababab")] // two characters repeated
    [InlineData("aaaaaaaaaaaaaaaaaaaaaa")]
    public void Refuses_a_predictable_password(string password) =>
        Assert.Equal(ProblemCodes.PasswordTooPredictable, PasswordPolicy.Check(password, Email)?.Code);

    [Theory]
    [InlineData("fiets regen kaas molen")] // spaces are characters like any other
    [InlineData("correct-horse-battery-staple")]
    [InlineData("wachtwoord-é-ß-😀-Ünïcode")]
    [InlineData("alllowercase letters only")] // no composition rules
    public void Accepts_a_long_uncommon_password_without_composition_rules(string password) =>
        Assert.Null(PasswordPolicy.Check(password, Email));
}
