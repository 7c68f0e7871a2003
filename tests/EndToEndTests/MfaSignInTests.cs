using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FlexWhere.EndToEndTests;

/// <summary>The Control Centre sign-in through the Gateway under the AppHost: password, SMS code read
/// from the development inbox (where the Notifier delivers it), tokens, and trusted devices.</summary>
[Collection(AppHostCollection.Name)]
public class MfaSignInTests(AppHostFixture stack)
{
    private const string Password = "FlexWhere-Demo-2026!";
    private const string AdminPhone = "+46701740678";
    private const string ManagerPhone = "+46701740679";
    private const string EmployeePhone = "+46701740680";

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token;

    private async Task<(JsonElement Body, string Code)> LoginForCodeAsync(string email, string phone, CancellationToken cancellationToken,
        string? deviceToken = null)
    {
        var seen = await DevInbox.CountToAsync(stack.Gateway, phone, cancellationToken);
        using var login = await stack.Gateway.PostAsJsonAsync("/api/auth/login",
            new { email, password = Password, client = "control-centre", deviceToken }, cancellationToken);
        var body = await login.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        Assert.True(login.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.Equal("mfa_required", body.GetProperty("status").GetString());
        Assert.False(body.TryGetProperty("accessToken", out _));
        return (body, await DevInbox.NextCodeAsync(stack.Gateway, phone, seen, cancellationToken));
    }

    private async Task<HttpResponseMessage> VerifyAsync(JsonElement login, string code, CancellationToken cancellationToken,
        bool remember = false) =>
        await stack.Gateway.PostAsJsonAsync("/api/auth/mfa/verify",
            new { loginTicket = login.GetProperty("loginTicket").GetString(), code, rememberDevice = remember }, cancellationToken);

    private HttpRequestMessage WithToken(HttpMethod method, string path, JsonElement signedIn, object? body = null) => new(method, path)
    {
        Headers = { Authorization = new AuthenticationHeaderValue("Bearer", signedIn.GetProperty("accessToken").GetString()) },
        Content = body is null ? null : JsonContent.Create(body),
    };

    [Fact]
    public async Task The_seed_admin_signs_in_with_the_code_from_the_inbox_and_a_remembered_device_skips_the_sms()
    {
        var cancellationToken = Timeout();
        var (login, code) = await LoginForCodeAsync("admin@demo.flexwhere.test", AdminPhone, cancellationToken);
        Assert.Equal("sms", login.GetProperty("method").GetString());
        Assert.EndsWith("78", login.GetProperty("phoneHint").GetString());
        Assert.DoesNotContain("1740678", login.GetProperty("phoneHint").GetString()!.Replace(" ", ""));

        using var verified = await VerifyAsync(login, code, cancellationToken, remember: true);
        var signedIn = await verified.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        Assert.True(verified.StatusCode == HttpStatusCode.OK, signedIn.ToString());
        using var me = await stack.Gateway.SendAsync(WithToken(HttpMethod.Get, "/api/me", signedIn), cancellationToken);
        Assert.Equal("admin@demo.flexwhere.test", (await me.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("email")
            .GetString());

        var seen = await DevInbox.CountToAsync(stack.Gateway, AdminPhone, cancellationToken);
        using var again = await stack.Gateway.PostAsJsonAsync("/api/auth/login", new
        {
            email = "admin@demo.flexwhere.test", password = Password, client = "control-centre", deviceToken =
                signedIn.GetProperty("deviceToken").GetString(),
        }, cancellationToken);
        var second = await again.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        Assert.Equal("signed_in", second.GetProperty("status").GetString());
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        Assert.Equal(seen, await DevInbox.CountToAsync(stack.Gateway, AdminPhone, cancellationToken));
    }

    [Fact]
    public async Task Wrong_and_replayed_codes_are_refused()
    {
        var cancellationToken = Timeout();
        var (login, code) = await LoginForCodeAsync("employee@demo.flexwhere.test", EmployeePhone, cancellationToken);

        using var wrong = await VerifyAsync(login, code == "000000" ? "111111" : "000000", cancellationToken);
        using var right = await VerifyAsync(login, code, cancellationToken);
        using var replayed = await VerifyAsync(login, code, cancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        var problem = await wrong.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        Assert.Equal("invalid_code", problem.GetProperty("code").GetString());
        Assert.Equal(4, problem.GetProperty("attemptsLeft").GetInt32());
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, replayed.StatusCode);
        Assert.Equal("challenge_expired", (await replayed.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("code")
            .GetString());
    }

    [Fact]
    public async Task A_new_phone_number_ends_the_trusted_devices()
    {
        var cancellationToken = Timeout();
        var (managerLogin, managerCode) = await LoginForCodeAsync("manager@demo.flexwhere.test", ManagerPhone, cancellationToken);
        using var managerVerified = await VerifyAsync(managerLogin, managerCode, cancellationToken, remember: true);
        var manager = await managerVerified.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        var deviceToken = manager.GetProperty("deviceToken").GetString();
        using var managerMe = await stack.Gateway.SendAsync(WithToken(HttpMethod.Get, "/api/me", manager), cancellationToken);
        var managerId = (await managerMe.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetString();

        var (adminLogin, adminCode) = await LoginForCodeAsync("admin@demo.flexwhere.test", AdminPhone, cancellationToken);
        using var adminVerified = await VerifyAsync(adminLogin, adminCode, cancellationToken);
        var admin = await adminVerified.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        const string newNumber = "+46701740681";
        using var changed = await stack.Gateway.SendAsync(WithToken(HttpMethod.Put, $"/api/users/{managerId}/phone", admin,
            new { phone = newNumber }), cancellationToken);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        try
        {
            var (again, code) = await LoginForCodeAsync("manager@demo.flexwhere.test", newNumber, cancellationToken, deviceToken);
            Assert.Equal("mfa_required", again.GetProperty("status").GetString());
            Assert.EndsWith("81", again.GetProperty("phoneHint").GetString());
            using var verified = await VerifyAsync(again, code, cancellationToken);
            Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        }
        finally
        {
            // The browser tests sign the seed manager in on the same stack, with the seed's number.
            using var restored = await stack.Gateway.SendAsync(
                WithToken(HttpMethod.Put, $"/api/users/{managerId}/phone", admin, new { phone = ManagerPhone }), CancellationToken.None);
            Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        }
    }
}
