using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Mfa;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>The 30-day rule with Accounts' clock under the test's control.</summary>
[Collection(MfaCollection.Name)]
public class TrustedDeviceTests(PostgresServer postgres, AccountsClassHost host, RedisServer redis, RabbitMqServer rabbitMq)
    : MfaTestBase(postgres, host, redis, rabbitMq)
{
    private async Task<(User User, string DeviceToken, JsonElement SignedIn)> RememberedAsync(UserRole role = UserRole.Admin,
        Organisations.Organisation? organisation = null)
    {
        organisation ??= await CreateOrganisationAsync();
        var user = await CreateMfaUserAsync(organisation, role);
        var signedIn = await SignInWithSmsAsync(user, rememberDevice: true);
        return (user, signedIn.GetProperty("deviceToken").GetString()!, signedIn);
    }

    private async Task AssertSignedInWithoutSmsAsync(User user, string deviceToken)
    {
        var sentBefore = Sms.Sent.Count(m => m.Destination == user.PhoneNumber);
        var body = await JsonAsync(await ControlCentreLoginAsync(user, deviceToken));
        Assert.Equal("signed_in", body.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("accessToken").GetString()));
        await Task.Delay(500);
        Assert.Equal(sentBefore, Sms.Sent.Count(m => m.Destination == user.PhoneNumber));
    }

    private async Task AssertSmsNeededAsync(User user, string deviceToken)
    {
        var (_, _, body) = await StartSmsSignInAsync(user, deviceToken);
        Assert.False(body.TryGetProperty("accessToken", out _));
    }

    [Fact]
    public async Task Remembered_device_skips_the_sms_on_day_29()
    {
        var (user, token, _) = await RememberedAsync();

        Time.Advance(TimeSpan.FromDays(29));

        await AssertSignedInWithoutSmsAsync(user, token);
        Assert.Contains(await AuditAsync(user.OrganisationId), e => e.Event == AuditEvents.TrustedDeviceUsed);
    }

    [Fact]
    public async Task Thirty_one_days_without_a_sign_in_on_the_device_need_an_sms_again()
    {
        var (user, token, _) = await RememberedAsync();

        Time.Advance(TimeSpan.FromDays(31));

        await AssertSmsNeededAsync(user, token);
    }

    [Fact]
    public async Task Every_sign_in_on_the_device_restarts_the_thirty_days()
    {
        var (user, token, _) = await RememberedAsync();

        for (var i = 0; i < 4; i++)
        {
            Time.Advance(TimeSpan.FromDays(29));
            await AssertSignedInWithoutSmsAsync(user, token);
        }

        // 116 days after the SMS, and still trusted; then a gap of 31 days ends it.
        Time.Advance(TimeSpan.FromDays(31));
        await AssertSmsNeededAsync(user, token);
    }

    [Fact]
    public async Task A_device_token_is_stored_hashed_and_works_for_its_own_user_only()
    {
        var organisation = await CreateOrganisationAsync();
        var (owner, token, _) = await RememberedAsync(organisation: organisation);
        var other = await CreateMfaUserAsync(organisation);

        await AssertSmsNeededAsync(other, token);
        await using var db = NewDbContext();
        var stored = await db.TrustedDevices.SingleAsync(d => d.UserId == owner.Id);
        Assert.Equal(OpaqueTokens.Hash(token), stored.TokenHash);
        Assert.DoesNotContain(token, JsonSerializer.Serialize(stored));
    }

    [Fact]
    public async Task A_shorter_trusted_period_of_the_organisation_applies()
    {
        var organisation = await CreateOrganisationAsync(configure: o => o.TrustedDevicePeriodDays = 7);
        var (user, token, _) = await RememberedAsync(organisation: organisation);

        Time.Advance(TimeSpan.FromDays(8));

        await AssertSmsNeededAsync(user, token);
    }

    public enum Change
    {
        PhoneNumber,
        Password,
        Role,
        MfaReset,
        PolicyTightened,
        RevokedByUser,
        RevokedByAdmin,
    }

    [Theory]
    [InlineData(Change.PhoneNumber)]
    [InlineData(Change.Password)]
    [InlineData(Change.Role)]
    [InlineData(Change.MfaReset)]
    [InlineData(Change.PolicyTightened)]
    [InlineData(Change.RevokedByUser)]
    [InlineData(Change.RevokedByAdmin)]
    public async Task Trust_ends_when(Change change)
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var (manager, token, signedIn) = await RememberedAsync(UserRole.Manager, organisation);
        using var asAdmin = ClientFor(admin);
        using var asManager = BearerClient(signedIn);
        var deviceId = (await JsonAsync(await asManager.GetAsync("/api/me/devices")))[0].GetProperty("id").GetGuid();

        var newNumber = NewMobile();
        HttpResponseMessage response = change switch
        {
            Change.PhoneNumber => await asAdmin.PutAsJsonAsync($"/api/users/{manager.Id}/phone", new { phone = newNumber }),
            Change.Password => await asManager.PutAsJsonAsync("/api/me/password", new { currentPassword = Password,
                newPassword = "a-brand-new-password-2026" }),
            Change.Role => await asAdmin.PutAsJsonAsync($"/api/users/{manager.Id}", new { role = "Employee" }),
            Change.MfaReset => await asAdmin.PostAsync($"/api/users/{manager.Id}/mfa/reset", null),
            Change.PolicyTightened => await asAdmin.PutAsJsonAsync("/api/organisation/settings", new { trustedDevicePeriodDays = 14 }),
            Change.RevokedByUser => await asManager.DeleteAsync($"/api/me/devices/{deviceId}"),
            Change.RevokedByAdmin => await asAdmin.DeleteAsync($"/api/users/{manager.Id}/devices/{deviceId}"),
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        // The sessions the trust opened end with it, at once: the access token and the refresh token
        // stop working (a password change keeps only the session that made it).
        var kept = change == Change.Password;
        Assert.Equal(kept ? HttpStatusCode.OK : HttpStatusCode.Unauthorized, (await asManager.GetAsync("/api/me")).StatusCode);
        var refresh = await Client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = signedIn.GetProperty("refreshToken")
            .GetString() });
        Assert.Equal(kept ? HttpStatusCode.OK : HttpStatusCode.Unauthorized, refresh.StatusCode);

        await using var db = NewDbContext();
        var device = await db.TrustedDevices.SingleAsync(d => d.Id == deviceId);
        Assert.NotNull(device.RevokedAt);
        var user = await db.Users.SingleAsync(u => u.Id == manager.Id);
        var password = change == Change.Password ? "a-brand-new-password-2026" : Password;
        var sentBefore = Sms.Sent.Count(m => m.Destination == user.PhoneNumber);
        var login = await JsonAsync(await ControlCentreLoginAsync(user, token, password));
        Assert.Equal("mfa_required", login.GetProperty("status").GetString());
        await Sms.WaitForAsync(_ => Sms.Sent.Count(m => m.Destination == user.PhoneNumber) > sentBefore);
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event
            is AuditEvents.TrustedDevicesRevoked or AuditEvents.MfaReset or AuditEvents.PasswordChanged);
    }

    [Fact]
    public async Task Users_see_their_trusted_devices_and_which_one_they_are_on()
    {
        var (user, _, signedIn) = await RememberedAsync();
        using var client = BearerClient(signedIn);

        var devices = await JsonAsync(await client.GetAsync("/api/me/devices"));

        var device = Assert.Single(devices.EnumerateArray());
        Assert.True(device.GetProperty("current").GetBoolean());
        Assert.Equal(Time.GetUtcNow().AddDays(30), device.GetProperty("trustedUntil").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));
        Assert.False(device.TryGetProperty("tokenHash", out _));
    }

    [Fact]
    public async Task Admins_cannot_see_or_revoke_devices_of_another_organisation()
    {
        var (user, _, _) = await RememberedAsync();
        var otherOrganisation = await CreateOrganisationAsync("Other");
        var otherAdmin = await CreateMfaUserAsync(otherOrganisation);
        using var client = ClientFor(otherAdmin);
        Guid deviceId;
        await using (var db = NewDbContext()) deviceId = (await db.TrustedDevices.SingleAsync(d => d.UserId == user.Id)).Id;

        await ProblemAsync(await client.GetAsync($"/api/users/{user.Id}/devices"), HttpStatusCode.NotFound, "not_found");
        await ProblemAsync(await client.DeleteAsync($"/api/users/{user.Id}/devices/{deviceId}"), HttpStatusCode.NotFound, "not_found");
        await ProblemAsync(await client.PostAsync($"/api/users/{user.Id}/mfa/reset", null), HttpStatusCode.NotFound, "not_found");
        await using var check = NewDbContext();
        Assert.Null((await check.TrustedDevices.SingleAsync(d => d.Id == deviceId)).RevokedAt);
    }
}
