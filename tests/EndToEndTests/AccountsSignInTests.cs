using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FlexWhere.EndToEndTests;

/// <summary>Migrations and the Development seed applied by the migration worker under the AppHost;
/// the seed users sign in through the Gateway.</summary>
[Collection(AppHostCollection.Name)]
public class AccountsSignInTests(AppHostFixture stack)
{
    private const string SeedPassword = "FlexWhere-Demo-2026!";

    [Fact]
    public async Task The_seed_employee_signs_in_through_the_gateway_and_reads_api_me()
    {
        using var login = await stack.Gateway.PostAsJsonAsync("/api/auth/login",
            new { email = "employee@demo.flexwhere.test", password = SeedPassword, client = "mobile" });
        var body = await login.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal("signed_in", body.GetProperty("status").GetString());
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("accessToken").GetString());
        using var profile = await stack.Gateway.SendAsync(me);
        Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        Assert.Equal("Demo", (await profile.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("organisation").GetString());
    }

    [Fact]
    public async Task A_wrong_password_through_the_gateway_is_invalid_credentials()
    {
        using var login = await stack.Gateway.PostAsJsonAsync("/api/auth/login",
            new { email = "manager@demo.flexwhere.test", password = "not the password", client = "control-centre" });

        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        Assert.Equal("invalid_credentials", (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }
}
