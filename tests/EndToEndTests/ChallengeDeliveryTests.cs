using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FlexWhere.EndToEndTests;

/// <summary>
/// A code's whole way under the AppHost: Accounts asks Challenges for it, Challenges publishes SendSms
/// over RabbitMQ, the Notifier delivers it to the development inbox, its report reaches the challenge,
/// and the user sees the delivery through the Gateway by their login ticket; the code verifies once.
/// </summary>
[Collection(AppHostCollection.Name)]
public class ChallengeDeliveryTests(AppHostFixture stack)
{
    private const string Email = "employee@demo.flexwhere.test";
    private const string Phone = "+46701740680";

    private async Task<HttpResponseMessage> StatusAsync(string ticket, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/mfa/status");
        request.Headers.Add("X-Login-Ticket", ticket);
        return await stack.Gateway.SendAsync(request, cancellationToken);
    }

    [Fact]
    public async Task A_code_reaches_the_inbox_its_delivery_shows_on_the_login_ticket_and_it_verifies_once()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var seen = await DevInbox.CountToAsync(stack.Gateway, Phone, timeout.Token);
        using var login = await stack.Gateway.PostAsJsonAsync("/api/auth/login",
            new { email = Email, password = "FlexWhere-Demo-2026!", client = "control-centre" }, timeout.Token);
        var body = await login.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
        Assert.True(login.StatusCode == HttpStatusCode.OK, body.ToString());
        var ticket = body.GetProperty("loginTicket").GetString()!;
        var code = await DevInbox.NextCodeAsync(stack.Gateway, Phone, seen, timeout.Token);

        // The Notifier reports the SMS sent once the (development) provider took it.
        JsonElement status;
        while (true)
        {
            using var response = await StatusAsync(ticket, timeout.Token);
            status = await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
            Assert.True(response.StatusCode == HttpStatusCode.OK, status.ToString());
            if (status.GetProperty("delivery").GetProperty("state").GetString() is "sent" or "delivered") break;
            await Task.Delay(200, timeout.Token);
        }

        Assert.Equal("pending", status.GetProperty("status").GetString());
        Assert.Equal(body.GetProperty("phoneHint").GetString(), status.GetProperty("phoneHint").GetString());

        using var verified = await stack.Gateway.PostAsJsonAsync("/api/auth/mfa/verify", new { loginTicket = ticket, code }, timeout.Token);
        using var replayed = await stack.Gateway.PostAsJsonAsync("/api/auth/mfa/verify", new { loginTicket = ticket, code }, timeout.Token);
        using var after = await StatusAsync(ticket, timeout.Token);

        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        Assert.Equal("signed_in", (await verified.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Gone, replayed.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, after.StatusCode);
    }
}
