using System.Text.RegularExpressions;
using Xunit;

namespace FlexWhere.Testing;

/// <summary>
/// Looks for a one-time code written out in stored or answered text. A code counts as found only as a digit run of its
/// own: stored as such (a value, a JSON string, a field) it stands between non-digits. Inside a longer run of digits it is
/// chance, not the code: a CI run failed on the test destination <c>+31625932855</c>, which holds the code 932855.
/// </summary>
public static class PlaintextCodes
{
    public static bool Holds(string text, string code) =>
        Regex.IsMatch(text, $"(?<![0-9]){Regex.Escape(code)}(?![0-9])", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>Fails when <paramref name="text"/> holds <paramref name="code"/> as a digit run of its own.</summary>
    public static void AssertNotIn(string text, string code, string where) =>
        Assert.False(Holds(text, code), $"{where} holds the code {code} in plain text: {text}");
}
