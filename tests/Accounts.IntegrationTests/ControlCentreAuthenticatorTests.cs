using System.Diagnostics;
using System.IdentityModel.Tokens.Jwt;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Users;
using FlexWhere.Contracts;
using FlexWhere.Testing;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>The authenticator app as a Control Centre factor (the mobile app's implementation, used twice), with every code
/// made by Debian's oathtool, an independent TOTP implementation.</summary>
[Collection(MfaCollection.Name)]
public class ControlCentreAuthenticatorTests(PostgresServer postgres, AccountsClassHost host, RedisServer redis, RabbitMqServer rabbitMq)
    : MfaTestBase(postgres, host, redis, rabbitMq)
{
    private const string Oathtool = "/usr/bin/oathtool";

    /// <summary>oathtool's code for the base32 secret at Accounts' (fake) clock.</summary>
    private string CodeNow(string base32)
    {
        Assert.True(File.Exists(Oathtool), $"{Oathtool} is missing: run scripts/ensure-servers.sh (or apt-get install oathtool).");
        var start = new ProcessStartInfo(Oathtool) { RedirectStandardOutput = true };
        foreach (var argument in new[] { "--totp", "-b", base32, "-N", $"@{Time.GetUtcNow().ToUnixTimeSeconds()}" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var code = process.StandardOutput.ReadToEnd().Trim();
        Assert.True(process.WaitForExit(10_000) && process.ExitCode == 0, "oathtool failed");
        return code;
    }

    private async Task<string> LinkAuthenticatorAsync(User user)
    {
        using var client = ClientFor(user);
        var secret = (await JsonAsync(await client.PostAsync("/api/me/authenticator", null))).GetProperty("secret").GetString()!;
        await ProblemAsync(await client.PostAsJsonAsync("/api/me/authenticator/confirm", new { code = WrongCode(CodeNow(secret)) }),
            HttpStatusCode.BadRequest, "invalid_code");
        Assert.Equal(HttpStatusCode.NoContent,
            (await client.PostAsJsonAsync("/api/me/authenticator/confirm", new { code = CodeNow(secret) })).StatusCode);
        return secret;
    }

    [Fact]
    public async Task A_linked_app_is_the_preferred_factor_its_codes_from_oathtool_sign_in_and_a_browser_can_be_remembered()
    {
        var organisation = await CreateOrganisationAsync();
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        await using var mail = await EmailCapture.StartAsync(Broker.ConnectionString);
        var secret = await LinkAuthenticatorAsync(manager);
        var notice = await mail.WaitForAsync(m => m.To == manager.Email && m.TemplateId == EmailTemplates.FactorAdded);
        Assert.StartsWith("je authenticator-app, ", notice.Details);

        Time.Advance(TimeSpan.FromSeconds(30)); // the confirming code's step is spent
        var login = await JsonAsync(await ControlCentreLoginAsync(manager));
        Assert.Equal(("totp", "totp,sms"), (login.GetProperty("method").GetString(),
            string.Join(",", login.GetProperty("methods").EnumerateArray().Select(m => m.GetString()))));
        var signedIn = await JsonAsync(await Client.PostAsJsonAsync("/api/auth/mfa/verify", new
        {
            loginTicket = login.GetProperty("loginTicket").GetString(), code = CodeNow(secret), rememberDevice = true,
        }));

        var token = new JwtSecurityTokenHandler().ReadJwtToken(signedIn.GetProperty("accessToken").GetString());
        Assert.Equal(["pwd", "otp"], token.Claims.Where(c => c.Type == "amr").Select(c => c.Value));
        var device = signedIn.GetProperty("deviceToken").GetString();
        Assert.Equal("signed_in", (await JsonAsync(await ControlCentreLoginAsync(manager, device))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_code_of_the_app_is_refused_once_the_organisation_no_longer_allows_apps_and_a_removed_app_is_gone()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var secret = await LinkAuthenticatorAsync(admin);
        Time.Advance(TimeSpan.FromSeconds(30));
        var ticket = (await JsonAsync(await ControlCentreLoginAsync(admin))).GetProperty("loginTicket").GetString()!;

        using (var client = ClientFor(admin))
        {
            await JsonAsync(await client.PutAsJsonAsync("/api/organisation/settings", new { controlCentreFactors = new[] { "sms" } }));
            await ProblemAsync(await client.PutAsJsonAsync("/api/organisation/settings", new { controlCentreFactors = new[] { "totp" } }),
                HttpStatusCode.BadRequest, "validation_failed");
        }

        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/mfa/verify", new { loginTicket = ticket, code = CodeNow(secret) }),
            HttpStatusCode.Conflict, "second_factor_not_allowed");
        Assert.Equal("sms", (await JsonAsync(await ControlCentreLoginAsync(admin))).GetProperty("method").GetString());

        using (var client = ClientFor(admin))
        {
            await JsonAsync(await client.PutAsJsonAsync("/api/organisation/settings",
                new { controlCentreFactors = new[] { "sms", "totp", "passkey" } }));
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/me/authenticator")).StatusCode);
            await ProblemAsync(await client.DeleteAsync("/api/me/authenticator"), HttpStatusCode.NotFound, "not_found");
        }

        Assert.Equal("sms", (await JsonAsync(await ControlCentreLoginAsync(admin))).GetProperty("method").GetString());
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.AuthenticatorRemoved && e.SubjectUserId == admin.Id);
    }

    [Fact]
    public async Task Linking_an_app_needs_a_fresh_second_factor()
    {
        var admin = await CreateMfaUserAsync(await CreateOrganisationAsync());
        using var stale = ClientFor(admin, freshSecondFactor: false);

        await ProblemAsync(await stale.PostAsync("/api/me/authenticator", null), HttpStatusCode.Unauthorized, "step_up_required");
        await ProblemAsync(await stale.PostAsJsonAsync("/api/me/authenticator/confirm", new { code = "123456" }), HttpStatusCode.Unauthorized,
            "step_up_required");
    }
}
