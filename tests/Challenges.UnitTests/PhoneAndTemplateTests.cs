using FlexWhere.Challenges.Phones;
using FlexWhere.Contracts;

namespace FlexWhere.Challenges.UnitTests;

public class PhoneAndTemplateTests
{
    [Theory]
    [InlineData("+31612345678", "NL", "+31 6 •••• ••78")]
    [InlineData("+32470123456", "BE", "+32 4 •••• ••56")]
    [InlineData("+4915123456789", "DE", "+49 1 •••• •••• 89")]
    public void A_valid_E164_number_gets_its_region_and_a_mask_that_shows_only_the_last_two_digits(string e164, string region,
        string masked)
    {
        var destination = Destination.Parse(e164);

        Assert.NotNull(destination);
        Assert.Equal(region, destination.Region);
        Assert.Equal(masked, destination.Masked);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0612345678")]
    [InlineData("+31 6 12345678")]
    [InlineData("+3161234")]
    [InlineData("+999123456789")]
    public void Anything_but_a_valid_E164_number_is_refused(string? value) => Assert.Null(Destination.Parse(value));

    [Fact]
    public void Numbers_in_one_range_share_a_prefix()
    {
        Assert.Equal(Destination.Parse("+31612345678")!.Prefix(3), Destination.Parse("+31612345999")!.Prefix(3));
        Assert.NotEqual(Destination.Parse("+31612345678")!.Prefix(3), Destination.Parse("+31612346678")!.Prefix(3));
    }

    [Fact]
    public void The_code_sms_reads_naturally_in_english_and_dutch()
    {
        Assert.Equal("Your FlexWhere code is 123456. It expires in 5 minutes.",
            SmsTemplates.Render(SmsTemplates.OneTimeCode, "en", "123456", 5));
        Assert.Equal("Je FlexWhere-code is 123456. Deze verloopt over 5 minuten.",
            SmsTemplates.Render(SmsTemplates.OneTimeCode, "nl", "123456", 5));
    }

    [Fact]
    public void The_autofill_line_is_added_only_when_a_domain_is_configured()
    {
        Assert.EndsWith("\n\n@app.flexwhere.com #123456",
            SmsTemplates.Render(SmsTemplates.OneTimeCode, "en", "123456", 5, "app.flexwhere.com"));
        Assert.DoesNotContain("@", SmsTemplates.Render(SmsTemplates.OneTimeCode, "en", "123456", 5));
    }

    [Fact]
    public void An_unknown_template_or_locale_is_an_error_not_a_free_text()
    {
        Assert.Throws<ArgumentException>(() => SmsTemplates.Render("free-text", "en", "123456", 5));
        Assert.Throws<ArgumentException>(() => SmsTemplates.Render(SmsTemplates.OneTimeCode, "fr", "123456", 5));
    }

    [Fact]
    public void Minutes_left_round_up_and_never_say_zero()
    {
        var now = DateTimeOffset.UnixEpoch;
        Assert.Equal(5, SmsTemplates.MinutesLeft(now.AddMinutes(5), now));
        Assert.Equal(5, SmsTemplates.MinutesLeft(now.AddSeconds(241), now));
        Assert.Equal(1, SmsTemplates.MinutesLeft(now.AddSeconds(-3), now));
    }
}
