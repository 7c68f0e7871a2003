using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;

namespace FlexWhere.EndToEndTests;

/// <summary>
/// A code's whole way under the AppHost: Challenges issues it (as Accounts will), publishes SendSms
/// over RabbitMQ, the Notifier delivers it to the development inbox, the code read there verifies
/// once, and the delivery report reaches the challenge's status through the Gateway.
/// </summary>
[Collection(AppHostCollection.Name)]
public partial class ChallengeDeliveryTests(AppHostFixture stack)
{
    [Fact]
    public async Task A_code_issued_by_challenges_reaches_the_inbox_and_verifies_exactly_once()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // +31 62…: a Dutch mobile range (not every 06 number is a mobile one, e.g. 066 is for pagers).
        var destination = $"+3162{Random.Shared.Next(1_000_000, 10_000_000)}";
        using var challenges = stack.App.CreateHttpClient("challenges");
        challenges.DefaultRequestHeaders.Add("X-Internal-Api-Key", await InternalApiKeyAsync(timeout.Token));

        using var created = await challenges.PostAsJsonAsync("/internal/challenges", new
        {
            organisationId = Guid.NewGuid(), userId = Guid.NewGuid(), purpose = "sign_in", destination,
            locale = "nl", allowedCountries = new[] { "NL" }, clientIp = "127.0.0.1",
        }, timeout.Token);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var challengeId = (await created.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("challengeId").GetString();

        var code = await WaitForCodeInInboxAsync(destination, timeout.Token);

        using var verified = await challenges.PostAsJsonAsync($"/internal/challenges/{challengeId}/verify", new { code, purpose = "sign_in" }, timeout.Token);
        using var replayed = await challenges.PostAsJsonAsync($"/internal/challenges/{challengeId}/verify", new { code, purpose = "sign_in" }, timeout.Token);
        using var status = await stack.Gateway.GetAsync($"/api/challenges/{challengeId}", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        Assert.True((await verified.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("verified").GetBoolean());
        Assert.Equal(HttpStatusCode.Conflict, replayed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
    }

    private async Task<string> InternalApiKeyAsync(CancellationToken cancellationToken)
    {
        var parameter = stack.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ParameterResource>().Single(resource => resource.Name == "internal-api-key");
        return (await parameter.GetValueAsync(cancellationToken))!;
    }

    private async Task<string> WaitForCodeInInboxAsync(string destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            var inbox = await stack.Gateway.GetFromJsonAsync<JsonElement>("/dev/sms", cancellationToken);
            foreach (var message in inbox.EnumerateArray())
            {
                if (message.GetProperty("to").GetString() == destination
                    && SixDigits().Match(message.GetProperty("body").GetString() ?? "") is { Success: true } match)
                {
                    Assert.StartsWith("Je FlexWhere-code is", message.GetProperty("body").GetString());
                    return match.Value;
                }
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex SixDigits();
}
