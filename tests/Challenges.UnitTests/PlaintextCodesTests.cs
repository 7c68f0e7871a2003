using FlexWhere.Testing;

namespace FlexWhere.Challenges.UnitTests;

/// <summary>The check the integration tests run over Redis and over answers: a code written out is found, digits that only
/// happen to contain it are not.</summary>
public sealed class PlaintextCodesTests
{
    [Theory]
    [InlineData("932855")]
    [InlineData("{\"code\":\"932855\",\"attempts\":5}")]
    [InlineData("challenge:abc:932855")]
    [InlineData("code=932855&to=%2B31612345678")]
    public void A_code_standing_on_its_own_is_found(string text)
    {
        Assert.True(PlaintextCodes.Holds(text, "932855"));
        Assert.Throws<Xunit.Sdk.FalseException>(() => PlaintextCodes.AssertNotIn(text, "932855", "the text"));
    }

    [Theory]
    [InlineData("+31625932855")] // the CI run's false alarm: a test phone number
    [InlineData("2026-12-02T12:34:56.9328551+00:00")]
    [InlineData("19328550")]
    [InlineData("")]
    public void Digits_that_only_contain_the_code_are_not_the_code(string text)
    {
        Assert.False(PlaintextCodes.Holds(text, "932855"));
        PlaintextCodes.AssertNotIn(text, "932855", "the text");
    }
}
