using System.Net;
using System.Net.Http.Json;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

[Collection(PostgresCollection.Name)]
public class OrganisationApiTests(PostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq)
    : AccountsTestBase(postgres, host, rabbitMq)
{
    [Fact]
    public async Task A_new_organisation_has_the_default_policy()
    {
        var organisation = await CreateOrganisationAsync();
        using var client = ClientFor(await CreateUserAsync(organisation, UserRole.Manager));

        var settings = await JsonAsync(await client.GetAsync("/api/organisation/settings"));

        Assert.True(settings.GetProperty("smsMfaForControlCentre").GetBoolean());
        Assert.False(settings.GetProperty("mobileTotpRequired").GetBoolean());
        Assert.False(settings.GetProperty("mobilePinRequired").GetBoolean());
        Assert.Equal(6, settings.GetProperty("pinLength").GetInt32());
        Assert.Equal(["NL"], settings.GetProperty("allowedSmsCountries").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(30, settings.GetProperty("trustedDevicePeriodDays").GetInt32());
    }

    [Fact]
    public async Task Switching_off_sms_mfa_is_refused_as_the_minimum_requirement()
    {
        var organisation = await CreateOrganisationAsync();
        using var client = ClientFor(await CreateUserAsync(organisation, UserRole.Admin));

        var problem = await ProblemAsync(await client.PutAsJsonAsync("/api/organisation/settings", new { smsMfaForControlCentre = false,
            mobileTotpRequired = true }),
            HttpStatusCode.BadRequest, "sms_mfa_required");

        Assert.Contains("minimum requirement", problem.GetProperty("detail").GetString());
        await using var db = NewDbContext();
        Assert.False((await db.Organisations.SingleAsync()).MobileTotpRequired);
    }

    [Theory]
    [InlineData("{\"pinLength\":3}", "pin_length_out_of_range")]
    [InlineData("{\"pinLength\":9}", "pin_length_out_of_range")]
    [InlineData("{\"trustedDevicePeriodDays\":31}", "trusted_device_period_out_of_range")]
    [InlineData("{\"trustedDevicePeriodDays\":0}", "trusted_device_period_out_of_range")]
    [InlineData("{\"allowedSmsCountries\":[\"XX\"]}", "country_unknown")]
    [InlineData("{\"allowedSmsCountries\":[]}", "country_unknown")]
    [InlineData("{\"pinLength\":\"six\"}", "validation_failed")]
    public async Task Out_of_range_settings_are_refused(string json, string code)
    {
        var organisation = await CreateOrganisationAsync();
        using var client = ClientFor(await CreateUserAsync(organisation, UserRole.Admin));

        await ProblemAsync(await client.PutAsync("/api/organisation/settings",
            new StringContent(json, System.Text.Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, code);

        Assert.Empty(await AuditAsync(organisation.Id));
    }

    [Fact]
    public async Task Admins_change_the_policy_and_the_change_is_audited()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateUserAsync(organisation, UserRole.Admin);
        using var client = ClientFor(admin);

        var settings = await JsonAsync(await client.PutAsJsonAsync("/api/organisation/settings",
            new { mobileTotpRequired = true, mobilePinRequired = true, pinLength = 8, allowedSmsCountries = new[] { "nl", "BE" },
                trustedDevicePeriodDays = 14 }));

        Assert.Equal(8, settings.GetProperty("pinLength").GetInt32());
        Assert.Equal(["NL", "BE"], settings.GetProperty("allowedSmsCountries").EnumerateArray().Select(c => c.GetString()));
        await using var db = NewDbContext();
        var stored = await db.Organisations.SingleAsync();
        Assert.True(stored.MobileTotpRequired);
        Assert.Equal(14, stored.TrustedDevicePeriodDays);
        var entry = Assert.Single(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.SettingsChanged);
        Assert.Equal(admin.Id, entry.ActorUserId);
        Assert.Contains("trustedDevicePeriodDays 30 → 14", entry.Details);
    }

    [Fact]
    public async Task Managers_cannot_change_the_policy()
    {
        var organisation = await CreateOrganisationAsync();
        using var client = ClientFor(await CreateUserAsync(organisation, UserRole.Manager));

        await ProblemAsync(await client.PutAsJsonAsync("/api/organisation/settings", new { pinLength = 4 }), HttpStatusCode.Forbidden,
            "forbidden");
    }

    [Fact]
    public async Task The_readiness_report_lists_admins_and_managers_whom_sms_mfa_would_lock_out()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateUserAsync(organisation, UserRole.Admin);
        var noPhone = await CreateUserAsync(organisation, UserRole.Manager, phone: null);
        var foreign = await CreateUserAsync(organisation, UserRole.Admin, phone: "+32470123456");
        await CreateUserAsync(organisation, UserRole.Employee, phone: null);
        await CreateUserAsync(organisation, UserRole.Manager, phone: null, active: false);
        var other = await CreateOrganisationAsync("Other");
        await CreateUserAsync(other, UserRole.Admin, phone: null);
        using var client = ClientFor(admin);

        var report = await JsonAsync(await client.GetAsync("/api/organisation/mfa-readiness"));

        Assert.Equal(3, report.GetProperty("adminsAndManagers").GetInt32());
        Assert.Equal(1, report.GetProperty("ready").GetInt32());
        var notReady = report.GetProperty("notReady").EnumerateArray()
            .ToDictionary(e => e.GetProperty("id").GetGuid(), e => e.GetProperty("reason").GetString());
        Assert.Equal(2, notReady.Count);
        Assert.Equal("phone_number_missing", notReady[noPhone.Id]);
        Assert.Equal("country_not_allowed", notReady[foreign.Id]);
    }

    [Fact]
    public async Task Admins_read_their_own_organisations_audit_log_without_full_phone_numbers()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateUserAsync(organisation, UserRole.Admin);
        var employee = await CreateUserAsync(organisation, UserRole.Employee);
        var other = await CreateOrganisationAsync("Other");
        var otherEmployee = await CreateUserAsync(other, UserRole.Employee);
        await LoginAsync(otherEmployee.Email, "wrong password!");
        await LoginAsync(employee.Email, "wrong password!");
        await LoginAsync(employee.Email);
        using var client = ClientFor(admin);
        await client.PutAsJsonAsync($"/api/users/{employee.Id}/phone", new { phone = "+31655554444" });

        var page = await JsonAsync(await client.GetAsync("/api/audit"));

        var events = page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("event").GetString()).ToList();
        Assert.Equal([AuditEvents.SessionsEnded, AuditEvents.PhoneChanged, AuditEvents.SignInSucceeded, AuditEvents.SignInFailed], events);
        Assert.DoesNotContain("55554444", page.GetRawText());
        Assert.DoesNotContain("12345678", page.GetRawText());
        var failed = await JsonAsync(await client.GetAsync($"/api/audit?event=sign_in_failed&userId={employee.Id}"));
        Assert.Equal(1, failed.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Managers_and_employees_cannot_read_the_audit_log()
    {
        var organisation = await CreateOrganisationAsync();
        using var manager = ClientFor(await CreateUserAsync(organisation, UserRole.Manager));
        using var employee = ClientFor(await CreateUserAsync(organisation, UserRole.Employee));

        await ProblemAsync(await manager.GetAsync("/api/audit"), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAsync(await employee.GetAsync("/api/organisation/settings"), HttpStatusCode.Forbidden, "forbidden");
    }
}
