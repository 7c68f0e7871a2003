using FlexWhere.Accounts.Mobile;

namespace FlexWhere.Accounts.UnitTests;

public class PinPolicyTests
{
    [Theory]
    [InlineData("0000")]
    [InlineData("1111")]
    [InlineData("1234")]
    [InlineData("4321")]
    [InlineData("7890")]
    [InlineData("1212")]
    [InlineData("2580")]
    [InlineData("0852")]
    [InlineData("123456")]
    [InlineData("654321")]
    [InlineData("123123")]
    [InlineData("999999")]
    [InlineData("12341234")]
    public void Trivial_pins_are_too_weak(string pin) => Assert.Equal(PinQuality.TooWeak, PinPolicy.Check(pin, pin.Length));

    [Theory]
    [InlineData("2749")]
    [InlineData("318046")]
    [InlineData("90517263")]
    public void Other_pins_of_the_right_length_are_accepted(string pin) =>
        Assert.Equal(PinQuality.Acceptable, PinPolicy.Check(pin, pin.Length));

    [Theory]
    [InlineData("2749", 6)]
    [InlineData("3180467", 6)]
    [InlineData("31a046", 6)]
    [InlineData(" 31804", 6)]
    [InlineData("٣١٨٠٤٦", 6)]
    [InlineData(null, 6)]
    public void Pins_of_another_length_or_with_other_characters_are_malformed(string? pin, int length) =>
        Assert.Equal(PinQuality.Malformed, PinPolicy.Check(pin, length));
}
