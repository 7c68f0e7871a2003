using System.IdentityModel.Tokens.Jwt;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Organisations;
using FlexWhere.Accounts.Users;
using FlexWhere.Contracts;
using FlexWhere.Testing;
using FlexWhere.Testing.WebAuthn;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>Passkeys through the real routes and the real Fido2 checks, answered by a software authenticator: as the second
/// factor, without a password where allowed, under the organisation's passkey rule for admins, and tried as an attacker
/// would (another site's origin, an old counter, a replayed answer, another user's passkey).</summary>
[Collection(MfaCollection.Name)]
public class PasskeyTests(PostgresServer postgres, AccountsClassHost host, RedisServer redis, RabbitMqServer rabbitMq)
    : MfaTestBase(postgres, host, redis, rabbitMq)
{
    private static readonly string RpId = new Uri(PublicBaseUrl).Host;

    private static SoftwareAuthenticator NewKey(bool synced = false) => new(RpId, PublicBaseUrl, synced);

    private async Task<JsonElement> RegisterAsync(User user, SoftwareAuthenticator key, string name = "YubiKey")
    {
        using var client = ClientFor(user);
        var prompt = await JsonAsync(await client.PostAsync("/api/me/passkeys/options", null));
        var answer = key.Register(prompt.GetProperty("options"));
        return await JsonAsync(await client.PostAsJsonAsync("/api/me/passkeys",
            new { ceremonyId = prompt.GetProperty("ceremonyId").GetGuid(), name, credential = answer }), HttpStatusCode.Created);
    }

    private async Task<JsonElement> PasswordStepAsync(User user) => await JsonAsync(await ControlCentreLoginAsync(user));

    private async Task<HttpResponseMessage> AnswerWithPasskeyAsync(string ticket, SoftwareAuthenticator key, string? origin = null)
    {
        var prompt = await JsonAsync(await Client.PostAsJsonAsync("/api/auth/mfa/passkey/options", new { loginTicket = ticket }));
        return await Client.PostAsJsonAsync("/api/auth/mfa/passkey", new
        {
            loginTicket = ticket, ceremonyId = prompt.GetProperty("ceremonyId").GetGuid(),
            credential = key.Sign(prompt.GetProperty("options"), origin),
        });
    }

    private static JwtSecurityToken Token(JsonElement signedIn) =>
        new JwtSecurityTokenHandler().ReadJwtToken(signedIn.GetProperty("accessToken").GetString());

    private async Task<Organisation> PasskeyOrganisationAsync(bool adminsNeedPasskey = false, bool passwordless = false)
    {
        var organisation = await CreateOrganisationAsync(configure: o => (o.AdminsNeedPasskey, o.PasswordlessSignIn) = (adminsNeedPasskey,
            passwordless));
        return organisation;
    }

    [Fact]
    public async Task A_registered_passkey_finishes_the_sign_in_after_the_password_and_no_sms_is_sent()
    {
        var organisation = await PasskeyOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        await using var mail = await EmailCapture.StartAsync(Broker.ConnectionString);
        using var key = NewKey();

        var registered = await RegisterAsync(admin, key, "Sleutelbos");
        Assert.Equal("Sleutelbos", registered.GetProperty("name").GetString());
        Assert.False(registered.GetProperty("synced").GetBoolean());

        var smsBefore = Sms.Sent.Count(m => m.Destination == admin.PhoneNumber);
        var login = await PasswordStepAsync(admin);
        Assert.Equal("passkey", login.GetProperty("method").GetString());
        Assert.Equal(["passkey", "sms"], login.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.False(login.TryGetProperty("phoneHint", out _));

        var signedIn = await JsonAsync(await AnswerWithPasskeyAsync(login.GetProperty("loginTicket").GetString()!, key));
        var token = Token(signedIn);
        Assert.Equal("phr", token.Claims.Single(c => c.Type == "acr").Value);
        Assert.Equal(["pwd", "hwk"], token.Claims.Where(c => c.Type == "amr").Select(c => c.Value));
        Assert.Equal(smsBefore, (await Sms.SettledAsync(m => m.Destination == admin.PhoneNumber)).Count);
        var audit = await AuditAsync(organisation.Id);
        Assert.Contains(audit, e => e.Event == AuditEvents.PasskeyRegistered && e.SubjectUserId == admin.Id);
        Assert.Contains(audit, e => e.Event == AuditEvents.MfaVerified && e.Details!.StartsWith("passkey "));
        var notice = await mail.WaitForAsync(m => m.To == admin.Email && m.TemplateId == EmailTemplates.FactorAdded);
        Assert.Equal("de passkey \"Sleutelbos\"", notice.Details);
    }

    [Fact]
    public async Task A_passkey_stops_finishing_sign_ins_once_the_organisation_drops_passkeys_even_one_begun_before()
    {
        var organisation = await PasskeyOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        using var key = NewKey();
        await RegisterAsync(admin, key);
        var ticket = (await PasswordStepAsync(admin)).GetProperty("loginTicket").GetString()!;
        var prompt = await JsonAsync(await Client.PostAsJsonAsync("/api/auth/mfa/passkey/options", new { loginTicket = ticket }));

        using (var client = ClientFor(admin))
        {
            await JsonAsync(await client.PutAsJsonAsync("/api/organisation/settings", new { controlCentreFactors = new[] { "sms" } }));
        }

        // The prompt was given while passkeys counted; the answer comes after the rule changed.
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/mfa/passkey", new
        {
            loginTicket = ticket, ceremonyId = prompt.GetProperty("ceremonyId").GetGuid(),
            credential = key.Sign(prompt.GetProperty("options")),
        }), HttpStatusCode.Conflict, "second_factor_not_allowed");
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/mfa/passkey/options", new { loginTicket = ticket }),
            HttpStatusCode.Conflict, "second_factor_not_allowed");
        var login = await PasswordStepAsync(admin);
        Assert.Equal("sms", login.GetProperty("method").GetString());
        Assert.DoesNotContain("passkey", login.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public async Task A_user_with_a_passkey_may_still_choose_a_text_message()
    {
        var organisation = await PasskeyOrganisationAsync();
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        using var key = NewKey();
        await RegisterAsync(manager, key);
        var ticket = (await PasswordStepAsync(manager)).GetProperty("loginTicket").GetString()!;

        // No code was texted yet: the code step refuses until the user picks SMS.
        await ProblemAsync(await VerifyAsync(ticket, "123456"), HttpStatusCode.Conflict, "second_factor_not_allowed");
        var before = Sms.Sent.Count(m => m.Destination == manager.PhoneNumber);
        var sms = await NextSmsToAsync(manager.PhoneNumber!, async () =>
        {
            // Chosen three times at once: one code is texted.
            var chosen = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
                Client.PostAsJsonAsync("/api/auth/mfa/sms", new { loginTicket = ticket })));
            var sent = Assert.Single(chosen, r => r.StatusCode == HttpStatusCode.OK);
            Assert.Equal("sms", (await JsonAsync(sent)).GetProperty("method").GetString());
        });
        Assert.Equal(before + 1, (await Sms.SettledAsync(m => m.Destination == manager.PhoneNumber)).Count);
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/mfa/sms", new { loginTicket = ticket }), HttpStatusCode.Conflict,
            "code_not_sent");

        var signedIn = await JsonAsync(await Client.PostAsJsonAsync("/api/auth/mfa/verify", new { loginTicket = ticket, code = sms.Code,
            method = "sms" }));
        Assert.Equal("aal2", Token(signedIn).Claims.Single(c => c.Type == "acr").Value);
    }

    [Fact]
    public async Task An_answer_signed_for_another_site_is_refused_so_a_phishing_page_gets_nothing()
    {
        var admin = await CreateMfaUserAsync(await PasskeyOrganisationAsync());
        using var key = NewKey();
        await RegisterAsync(admin, key);
        var ticket = (await PasswordStepAsync(admin)).GetProperty("loginTicket").GetString()!;

        await ProblemAsync(await AnswerWithPasskeyAsync(ticket, key, origin: "https://flexwhere-login.example"), HttpStatusCode.BadRequest,
            "passkey_not_accepted");

        // The ticket lives on for a genuine answer from the real site.
        await JsonAsync(await AnswerWithPasskeyAsync(ticket, key));
    }

    [Fact]
    public async Task A_counter_that_goes_backwards_is_refused_and_audited_as_a_possible_copy_of_the_key()
    {
        var organisation = await PasskeyOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        using var key = NewKey();
        key.Counter = 10;
        await RegisterAsync(admin, key);
        await JsonAsync(await AnswerWithPasskeyAsync((await PasswordStepAsync(admin)).GetProperty("loginTicket").GetString()!, key));

        key.Counter = 5; // a clone of the key, behind the original
        var ticket = (await PasswordStepAsync(admin)).GetProperty("loginTicket").GetString()!;
        await ProblemAsync(await AnswerWithPasskeyAsync(ticket, key), HttpStatusCode.BadRequest, "passkey_not_accepted");

        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.PasskeyCounterAnomaly && e.SubjectUserId == admin.Id);
        await using var db = NewDbContext();
        Assert.Equal(11, (await db.Passkeys.SingleAsync(p => p.UserId == admin.Id)).SignCount);
    }

    [Fact]
    public async Task A_replayed_answer_is_refused_on_its_own_prompt_and_on_a_new_one_and_parallel_answers_sign_in_once()
    {
        var admin = await CreateMfaUserAsync(await PasskeyOrganisationAsync());
        using var key = NewKey();
        await RegisterAsync(admin, key);
        var ticket = (await PasswordStepAsync(admin)).GetProperty("loginTicket").GetString()!;
        var prompt = await JsonAsync(await Client.PostAsJsonAsync("/api/auth/mfa/passkey/options", new { loginTicket = ticket }));
        var ceremonyId = prompt.GetProperty("ceremonyId").GetGuid();
        var answer = key.Sign(prompt.GetProperty("options"));

        var racing = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Client.PostAsJsonAsync("/api/auth/mfa/passkey",
            new { loginTicket = ticket, ceremonyId, credential = answer })));
        Assert.Single(racing, r => r.StatusCode == HttpStatusCode.OK);

        var next = (await PasswordStepAsync(admin)).GetProperty("loginTicket").GetString()!;
        var newPrompt = await JsonAsync(await Client.PostAsJsonAsync("/api/auth/mfa/passkey/options", new { loginTicket = next }));
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/mfa/passkey",
            new { loginTicket = next, ceremonyId = newPrompt.GetProperty("ceremonyId").GetGuid(), credential = answer }),
            HttpStatusCode.BadRequest, "passkey_not_accepted");
        // The prompt of one ticket is no answer to another's, even unused.
        var third = (await PasswordStepAsync(admin)).GetProperty("loginTicket").GetString()!;
        var thirdPrompt = await JsonAsync(await Client.PostAsJsonAsync("/api/auth/mfa/passkey/options", new { loginTicket = third }));
        var fourth = (await PasswordStepAsync(admin)).GetProperty("loginTicket").GetString()!;
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/mfa/passkey", new
        {
            loginTicket = fourth, ceremonyId = thirdPrompt.GetProperty("ceremonyId").GetGuid(),
            credential = key.Sign(thirdPrompt.GetProperty("options")),
        }), HttpStatusCode.Conflict, "passkey_prompt_expired");
    }

    [Fact]
    public async Task Another_users_passkey_does_not_finish_this_users_sign_in()
    {
        var organisation = await PasskeyOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var other = await CreateMfaUserAsync(organisation);
        using var adminsKey = NewKey();
        using var othersKey = NewKey();
        await RegisterAsync(admin, adminsKey);
        await RegisterAsync(other, othersKey);

        var ticket = (await PasswordStepAsync(admin)).GetProperty("loginTicket").GetString()!;

        await ProblemAsync(await AnswerWithPasskeyAsync(ticket, othersKey), HttpStatusCode.Unauthorized, "passkey_not_accepted");
    }

    [Fact]
    public async Task Passwordless_sign_in_works_only_where_the_organisation_allows_it_and_only_with_user_verification()
    {
        var strict = await PasskeyOrganisationAsync();
        var open = await PasskeyOrganisationAsync(passwordless: true);
        using var strictKey = NewKey();
        using var openKey = NewKey(synced: true);
        await RegisterAsync(await CreateMfaUserAsync(strict), strictKey);
        await RegisterAsync(await CreateMfaUserAsync(open, UserRole.Manager), openKey);

        async Task<HttpResponseMessage> PasswordlessAsync(SoftwareAuthenticator key, bool userVerified = true)
        {
            var prompt = await JsonAsync(await Client.PostAsync("/api/auth/passkey/options", null));
            Assert.Equal("required", prompt.GetProperty("options").GetProperty("userVerification").GetString());
            return await Client.PostAsJsonAsync("/api/auth/passkey", new
            {
                ceremonyId = prompt.GetProperty("ceremonyId").GetGuid(), client = "control-centre",
                credential = key.Sign(prompt.GetProperty("options"), userVerified: userVerified),
            });
        }

        await ProblemAsync(await PasswordlessAsync(strictKey), HttpStatusCode.Forbidden, "passwordless_not_allowed");
        await ProblemAsync(await PasswordlessAsync(openKey, userVerified: false), HttpStatusCode.BadRequest, "passkey_not_accepted");
        var token = Token(await JsonAsync(await PasswordlessAsync(openKey)));
        Assert.Equal(["swk", "mfa"], token.Claims.Where(c => c.Type == "amr").Select(c => c.Value));
        Assert.Equal("phr", token.Claims.Single(c => c.Type == "acr").Value);
    }

    [Fact]
    public async Task Under_the_passkey_rule_an_admin_without_one_is_refused_with_what_to_do_and_sms_is_no_way_round()
    {
        var organisation = await PasskeyOrganisationAsync(adminsNeedPasskey: true);
        var without = await CreateMfaUserAsync(organisation);
        var with = await CreateMfaUserAsync(organisation);
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        using var key = NewKey();
        await RegisterAsync(with, key);

        var refused = await ProblemAsync(await ControlCentreLoginAsync(without), HttpStatusCode.Forbidden, "passkey_required");
        Assert.Contains("recovery codes", refused.GetProperty("detail").GetString());
        Assert.Contains("switch the rule off", refused.GetProperty("detail").GetString());
        var login = await PasswordStepAsync(with);
        Assert.Equal(["passkey"], login.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        var ticket = login.GetProperty("loginTicket").GetString()!;
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/mfa/sms", new { loginTicket = ticket }), HttpStatusCode.Conflict,
            "second_factor_not_allowed");
        await JsonAsync(await AnswerWithPasskeyAsync(ticket, key));
        // Managers are not under the rule.
        Assert.Equal("sms", (await PasswordStepAsync(manager)).GetProperty("method").GetString());
    }

    [Fact]
    public async Task Switching_the_rule_on_needs_a_passkey_of_ones_own_and_the_readiness_report_names_the_admins_without_one()
    {
        var organisation = await PasskeyOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var colleague = await CreateMfaUserAsync(organisation);
        using var client = ClientFor(admin);

        var report = await JsonAsync(await client.GetAsync("/api/organisation/mfa-readiness"));
        Assert.Equal(2, report.GetProperty("adminsWithoutPasskey").GetArrayLength());
        await ProblemAsync(await client.PutAsJsonAsync("/api/organisation/settings", new { adminsNeedPasskey = true }),
            HttpStatusCode.Conflict, "passkey_required_first");

        using var key = NewKey();
        await RegisterAsync(admin, key);
        using var fresh = ClientFor(admin, amr: ["pwd", "hwk"]);
        var settings = await JsonAsync(await fresh.PutAsJsonAsync("/api/organisation/settings", new { adminsNeedPasskey = true }));
        Assert.True(settings.GetProperty("adminsNeedPasskey").GetBoolean());

        report = await JsonAsync(await fresh.GetAsync("/api/organisation/mfa-readiness"));
        var notReady = Assert.Single(report.GetProperty("notReady").EnumerateArray());
        Assert.Equal((colleague.Id, "passkey_missing"), (notReady.GetProperty("id").GetGuid(), notReady.GetProperty("reason").GetString()));
        // The admin's last passkey stays while the rule holds.
        var id = (await JsonAsync(await fresh.GetAsync("/api/me/passkeys")))[0].GetProperty("id").GetGuid();
        await ProblemAsync(await fresh.DeleteAsync($"/api/me/passkeys/{id}"), HttpStatusCode.Conflict, "last_passkey");
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.SettingsChanged
            && e.Details!.Contains("adminsNeedPasskey False → True"));
    }

    [Fact]
    public async Task A_passkey_proves_a_step_up_and_under_the_rule_nothing_weaker_does()
    {
        var organisation = await PasskeyOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        using var key = NewKey();
        await RegisterAsync(admin, key);
        await using (var db = NewDbContext())
        {
            await db.Organisations.Where(o => o.Id == organisation.Id).ExecuteUpdateAsync(set => set.SetProperty(o => o.AdminsNeedPasskey, true));
        }

        using var stale = ClientFor(admin, amr: ["pwd", "hwk"], freshSecondFactor: false);
        var needed = await ProblemAsync(await stale.PostAsync("/api/me/passkeys/options", null), HttpStatusCode.Unauthorized,
            "step_up_required");
        Assert.Equal(["passkey"], needed.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        await ProblemAsync(await stale.PostAsync("/api/auth/step-up/sms", null), HttpStatusCode.BadRequest, "step_up_method_not_available");

        var prompt = await JsonAsync(await stale.PostAsync("/api/auth/step-up/passkey/options", null));
        var proven = await JsonAsync(await stale.PostAsJsonAsync("/api/auth/step-up", new
        {
            method = "passkey", ceremonyId = prompt.GetProperty("ceremonyId").GetGuid(), credential = key.Sign(prompt.GetProperty("options")),
        }));
        Assert.Equal("passkey", proven.GetProperty("method").GetString());
        await JsonAsync(await stale.PostAsync("/api/me/passkeys/options", null));
    }

    [Fact]
    public async Task An_mfa_reset_removes_a_lost_passkey_so_it_no_longer_signs_in()
    {
        var organisation = await PasskeyOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        using var lost = NewKey();
        await RegisterAsync(manager, lost);

        Assert.Equal(HttpStatusCode.NoContent, (await ClientFor(admin).PostAsync($"/api/users/{manager.Id}/mfa/reset", null)).StatusCode);

        var login = await PasswordStepAsync(manager);
        Assert.Equal("sms", login.GetProperty("method").GetString());
        await ProblemAsync(await Client.PostAsJsonAsync("/api/auth/mfa/passkey/options",
            new { loginTicket = login.GetProperty("loginTicket").GetString() }), HttpStatusCode.Conflict, "second_factor_not_allowed");
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.MfaReset && e.Details!.Contains("1 passkeys removed"));
    }

    [Fact]
    public async Task Registering_needs_a_fresh_second_factor_and_a_prompt_of_ones_own_session()
    {
        var organisation = await PasskeyOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        using var stale = ClientFor(admin, freshSecondFactor: false);
        await ProblemAsync(await stale.PostAsync("/api/me/passkeys/options", null), HttpStatusCode.Unauthorized, "step_up_required");

        using var key = NewKey();
        using var first = ClientFor(admin);
        var prompt = await JsonAsync(await first.PostAsync("/api/me/passkeys/options", null));
        using var second = ClientFor(admin); // another session of the same user, e.g. a stolen token on another machine
        await ProblemAsync(await second.PostAsJsonAsync("/api/me/passkeys", new
        {
            ceremonyId = prompt.GetProperty("ceremonyId").GetGuid(), name = "Stolen", credential = key.Register(prompt.GetProperty("options")),
        }), HttpStatusCode.Conflict, "passkey_prompt_expired");
        await using var db = NewDbContext();
        Assert.False(await db.Passkeys.AnyAsync());
    }
}
