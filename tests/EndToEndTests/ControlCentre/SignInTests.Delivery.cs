using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>The code step when the SMS provider reports the code undelivered. The development provider never fails, so the
/// browser is given that answer of GET /api/auth/mfa/status (the route itself: Accounts' MfaStatusTests, ChallengeDeliveryTests).</summary>
public sealed partial class SignInTests
{
    [Fact]
    public async Task The_code_step_says_when_the_code_was_reported_undelivered_and_opens_the_resend_at_once()
    {
        await _page.RouteAsync("**/api/auth/mfa/status", route => route.FulfillAsync(new()
        {
            Status = 200,
            ContentType = "application/json",
            Body = """
                {"status":"pending","phoneHint":"+46 7 •••• ••80","expiresAt":"2099-01-01T00:00:00Z","resendAfter":"2099-01-01T00:00:00Z",
                 "attemptsLeft":5,"delivery":{"state":"failed","at":"2026-01-01T00:00:00Z","reason":"30003"}}
                """,
        }));
        await _page.GotoAsync("/");
        await Field("E-mail address").FillAsync(Employee);
        await Field("Password").FillAsync(Password);
        await Button("Sign in").ClickAsync();
        await Expect(Heading("Enter your sign-in code")).ToBeVisibleAsync();

        // "Another way below" only where the step lists one.
        var otherWays = await _page.Locator(".alternatives button").CountAsync() > 0;
        await Expect(_page.Locator("#code-error")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(
            @"^Your phone's network reported that the code to \+46 .*80 was not delivered\. Send a new code" +
            (otherWays ? ", or choose another way below" : "") + @"\.$"));
        await Expect(_page.Locator("#resend")).ToBeEnabledAsync();
        await Expect(_page.Locator("#resend")).ToHaveTextAsync("Send a new code");
        await Accessibility.AssertNoSeriousViolationsAsync(_page, "code step, code reported undelivered");
        await Screenshots.SaveAsync(_page, "22-code-undelivered");
        Assert.Empty(_browserErrors);
    }
}
