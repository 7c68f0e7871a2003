using System.Net;
using FlexWhere.Testing;
using Microsoft.Extensions.Hosting;

namespace FlexWhere.Challenges.IntegrationTests;

/// <summary>
/// Under the AppHost anyone on the machine can reach Challenges over loopback: its per-IP limits must
/// count the address the Gateway names, and only the Gateway (proved by its secret) may name one.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class ClientAddressTests(RedisServer redis, RabbitMqServer rabbitMq)
{
    private const int Limit = 3;

    [Theory]
    [InlineData(null)]
    [InlineData("guessed-secret-of-the-right-length-0123456789")]
    [InlineData("")]
    public async Task X_Forwarded_For_without_the_gateway_secret_leaves_the_peer_address(string? presentedSecret)
    {
        using var app = new ChallengesApp(redis, rabbitMq, ("Challenges:Limits:PublicPerClientIp", Limit.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var created = await app.CreateOkAsync(ChallengeRequest.Fresh());

        // Each request claims another address; were the claim believed, none would be refused. The
        // peer's own bucket may hold counts of other tests, so "at most Limit pass" is what is certain.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i <= Limit; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/challenges/{created.ChallengeId}");
            request.Headers.Add("X-Forwarded-For", ChallengeRequest.NewIp());
            if (presentedSecret is not null) request.Headers.Add(GatewayForwarding.SecretHeader, presentedSecret);
            using var response = await app.Public.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.True(statuses.Count(status => status == HttpStatusCode.OK) <= Limit, string.Join(", ", statuses));
    }

    [Fact]
    public async Task X_Forwarded_For_with_the_gateway_secret_names_the_client()
    {
        using var app = new ChallengesApp(redis, rabbitMq, ("Challenges:Limits:PublicPerClientIp", Limit.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var created = await app.CreateOkAsync(ChallengeRequest.Fresh());
        var client = ChallengeRequest.NewIp();

        // Many clients behind the Gateway: each has its own count.
        for (var i = 0; i <= Limit; i++) await app.StatusAsync(created.ChallengeId, ChallengeRequest.NewIp());
        // One client: its count is its own, whichever other clients there are.
        for (var i = 0; i < Limit; i++) await app.StatusAsync(created.ChallengeId, client);
        using var refused = await app.Public.SendAsync(ChallengesApp.FromGateway(HttpMethod.Get, $"/api/challenges/{created.ChallengeId}", client));

        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
    }
}
