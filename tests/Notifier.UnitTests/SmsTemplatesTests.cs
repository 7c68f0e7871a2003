using FlexWhere.Contracts;

namespace FlexWhere.Notifier.UnitTests;

public class SmsTemplatesTests
{
    [Theory]
    [InlineData("en", "Your FlexWhere code is 123456. It expires in 5 minutes.")]
    [InlineData("nl", "Je FlexWhere-code is 123456. Deze verloopt over 5 minuten.")]
    [InlineData("de", "Your FlexWhere code is 123456. It expires in 5 minutes.")]
    public void Renders_the_one_time_code_in_the_locale_or_english(string locale, string expected)
    {
        Assert.True(SmsTemplates.TryRender(SmsTemplates.OneTimeCode, locale, "123456", 5, out var text));
        Assert.Equal(expected, text);
    }

    [Fact]
    public void Refuses_an_unknown_template()
    {
        Assert.False(SmsTemplates.TryRender("free-text", "en", "123456", 5, out var text));
        Assert.Equal("", text);
    }
}
