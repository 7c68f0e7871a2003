namespace FlexWhere.Accounts.UnitTests;

public class ControlCharacterUnitTests
{
    [Fact]
    public void Exactly_the_unicode_control_characters_are_refused()
    {
        for (var c = '\0'; c < '\u0800'; c++)
        {
            Assert.True(char.IsControl(c) == ControlCharacters.Contain($"a{c}b"), $"U+{(int)c:X4}");
        }
    }

    [Theory]
    [InlineData("Bram van 't Hof")]
    [InlineData("Zoë Straße")]
    [InlineData("😀🚲🇳🇱")]
    [InlineData("Ñúñez-O'Brien, J.")]
    [InlineData("")]
    [InlineData(null)]
    public void Ordinary_text_passes(string? text) => Assert.False(ControlCharacters.Contain(text));

    [Fact]
    public void The_first_control_character_is_found_whichever_range_it_is_in()
    {
        Assert.Equal(1, ControlCharacters.IndexIn("a\u0085b\0"));
        Assert.Equal(1, ControlCharacters.IndexIn("a\0b\u0085"));
        Assert.Equal(-1, ControlCharacters.IndexIn("abc"));
    }

    [Fact]
    public void A_csv_field_is_named_by_its_data_row_and_column()
    {
        IReadOnlyList<IReadOnlyList<string>> records = [["email", "displayName"], ["a@example.test", "A"], ["b@example.test", "B\u001B"]];

        var problem = ControlCharacters.CheckCsv(records);

        Assert.NotNull(problem);
        Assert.Equal(400, problem.Status);
        var details = Assert.IsType<Microsoft.AspNetCore.Http.HttpValidationProblemDetails>(problem.ToProblemDetails());
        Assert.Equal("validation_failed", details.Extensions["code"]);
        Assert.Equal("displayName", details.Extensions["field"]);
        Assert.Equal(1, details.Extensions["row"]);
        Assert.StartsWith("The displayName of data row 1 contains a control character (U+001B)", details.Detail);
        Assert.Equal(details.Detail, Assert.Single(details.Errors["displayName"]));
        Assert.Null(ControlCharacters.CheckCsv([["email"], ["a@example.test"]]));
    }
}
