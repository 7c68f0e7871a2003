using System.Net;
using FlexWhere.Testing;

namespace FlexWhere.Gateway.IntegrationTests;

/// <summary>The two public Challenges paths reach Challenges unchanged; its internal API and
/// everything else under /api/challenges stay unreachable.</summary>
[Collection(RedisCollection.Name)]
public sealed class ChallengesRoutingTests(RedisServer redis) : IAsyncLifetime
{
    private const string ChallengeId = "Z7GY_NlExbuvD47f2SLjZw";
    private GatewayStack _stack = null!;

    private DownstreamService Challenges => _stack.Services["challenges"];
    private HttpClient Client => _stack.Client;

    public async Task InitializeAsync() => _stack = await GatewayStack.StartAsync(redis.ConnectionString);

    [Fact]
    public async Task Forwards_the_challenge_status_to_challenges()
    {
        var body = await Client.GetStringAsync($"/api/challenges/{ChallengeId}");

        Assert.Equal($"challenges:/api/challenges/{ChallengeId}", body);
    }

    [Fact]
    public async Task Forwards_a_resend_to_challenges()
    {
        using var response = await Client.PostAsync($"/api/challenges/{ChallengeId}/resend", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"challenges:/api/challenges/{ChallengeId}/resend", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("POST", $"/api/challenges/{ChallengeId}/verify")]
    [InlineData("GET", $"/api/challenges/{ChallengeId}/resend")]
    [InlineData("POST", $"/api/challenges/{ChallengeId}")]
    [InlineData("POST", "/internal/challenges")]
    [InlineData("POST", $"/internal/challenges/{ChallengeId}/verify")]
    [InlineData("POST", $"/api/challenges/internal/challenges/{ChallengeId}/verify")]
    public async Task Does_not_publish_verify_or_the_internal_api(string method, string path)
    {
        var before = Challenges.ReceivedApiRequests.Count();

        using var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        // A known path with the wrong method is 405 from routing; either way nothing is forwarded.
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed });
        Assert.Equal(before, Challenges.ReceivedApiRequests.Count());
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();
}
