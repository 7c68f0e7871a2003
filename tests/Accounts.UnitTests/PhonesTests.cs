using FlexWhere.Accounts.Data;
using FlexWhere.Accounts.Users;

namespace FlexWhere.Accounts.UnitTests;

public class PhonesTests
{
    [Theory]
    [InlineData("+31 6 1234 5678", "+31612345678")]
    [InlineData("0031612345678", "+31612345678")]
    [InlineData("+31-(0)6-12345678", "+31612345678")]
    [InlineData("+32 470 12 34 56", "+32470123456")]
    public void Mobile_numbers_in_international_form_are_stored_as_e164(string input, string e164)
    {
        var check = Phones.Check(input);

        Assert.True(check.IsValid, check.ErrorMessage);
        Assert.Equal(e164, check.E164);
    }

    [Fact]
    public void A_number_without_country_code_asks_for_it_with_the_dutch_example()
    {
        var check = Phones.Check("0612345678");

        Assert.Equal("phone_country_code_missing", check.ErrorCode);
        Assert.Contains("country code", check.ErrorMessage);
        Assert.Contains("+31", check.ErrorMessage);
    }

    [Theory]
    [InlineData("+31201234567", "phone_fixed_line")]
    [InlineData("+319001234567", "phone_premium_rate")]
    [InlineData("+318001234", "phone_not_mobile")]
    [InlineData("+3161234", "phone_invalid")]
    [InlineData("+999123456789", "phone_invalid")]
    [InlineData("+31abc", "phone_invalid")]
    public void Numbers_that_cannot_receive_codes_have_their_own_code(string input, string code) =>
        Assert.Equal(code, Phones.Check(input).ErrorCode);

    [Theory]
    [InlineData("+31612345678", "+31 6 •••• ••78")]
    [InlineData("+46701740678", "+46 7 •••• ••78")]
    [InlineData("+447911123456", "+44 7 • •••• ••56")]
    public void Masks_all_but_country_code_first_and_last_two_digits(string e164, string masked) =>
        Assert.Equal(masked, Phones.Mask(e164));

    [Fact]
    public void The_development_seed_uses_valid_mobile_numbers_from_the_swedish_range_reserved_for_fiction()
    {
        Assert.All(DevelopmentSeed.Users, user =>
        {
            Assert.StartsWith("+467017406", user.Phone);
            Assert.Equal(user.Phone, Phones.Check(user.Phone).E164);
        });
    }

    [Theory]
    [InlineData("name@example.com", true)]
    [InlineData("first.last+tag@sub.example.nl", true)]
    [InlineData("jdoe", false)]
    [InlineData("a@b", false)]
    [InlineData("Name <name@example.com>", false)]
    [InlineData("name @example.com", false)]
    public void Email_addresses_are_plain_addresses_with_a_dotted_domain(string email, bool valid) =>
        Assert.Equal(valid, EmailAddresses.IsValid(email));
}

public class CsvTests
{
    [Fact]
    public void Parses_quoted_fields_with_commas_quotes_and_line_breaks()
    {
        var records = Csv.Parse("email,displayName\r\n\"a@example.test\",\"Doe, \"\"Jo\"\"\"\n\nb@example.test,\"Two\nLines\"\n");

        Assert.Equal(3, records.Count);
        Assert.Equal(["a@example.test", "Doe, \"Jo\""], records[1]);
        Assert.Equal(["b@example.test", "Two\nLines"], records[2]);
    }

    [Fact]
    public void Keeps_empty_fields_and_a_last_line_without_line_end()
    {
        var records = Csv.Parse("a,,c\nd,e,");

        Assert.Equal(["a", "", "c"], records[0]);
        Assert.Equal(["d", "e", ""], records[1]);
    }
}
