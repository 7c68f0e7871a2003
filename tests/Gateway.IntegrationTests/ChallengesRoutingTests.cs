using System.Net;
using FlexWhere.Testing;

namespace FlexWhere.Gateway.IntegrationTests;

/// <summary>Nothing of Challenges is published: a challenge's id never reaches a client (clients hold a
/// login ticket at Accounts), so no path under /api/challenges reaches a challenge; its API document is
/// only in the Gateway's merged one, and the internal API stays unreachable.</summary>
[Collection(RedisCollection.Name)]
public sealed class ChallengesRoutingTests(RedisServer redis) : IAsyncLifetime
{
    private const string ChallengeId = "Z7GY_NlExbuvD47f2SLjZw";
    private GatewayStack _stack = null!;

    private DownstreamService Challenges => _stack.Services["challenges"];
    private HttpClient Client => _stack.Client;

    public async Task InitializeAsync() => _stack = await GatewayStack.StartAsync(redis.ConnectionString);

    [Theory]
    [InlineData("GET", "/api/challenges/openapi/v1.json")]
    [InlineData("GET", $"/api/challenges/{ChallengeId}")]
    [InlineData("POST", $"/api/challenges/{ChallengeId}/resend")]
    [InlineData("POST", $"/api/challenges/{ChallengeId}/verify")]
    [InlineData("GET", $"/api/challenges/{ChallengeId}/resend")]
    [InlineData("POST", $"/api/challenges/{ChallengeId}")]
    [InlineData("POST", "/internal/challenges")]
    [InlineData("POST", $"/internal/challenges/{ChallengeId}/verify")]
    [InlineData("POST", $"/api/challenges/internal/challenges/{ChallengeId}/verify")]
    public async Task Does_not_publish_a_challenge_or_the_internal_api(string method, string path)
    {
        var before = Challenges.ReceivedApiRequests.Count();

        using var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        // A known path with the wrong method is 405 from routing; either way nothing is forwarded.
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed });
        Assert.Equal(before, Challenges.ReceivedApiRequests.Count());
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();
}
