using System.Net;
using FlexWhere.Testing;

namespace FlexWhere.Gateway.IntegrationTests;

/// <summary>The two public Challenges paths reach Challenges unchanged; its internal API and
/// everything else under /api/challenges stay unreachable.</summary>
public sealed class ChallengesRoutingTests : IAsyncLifetime
{
    private const string ChallengeId = "Z7GY_NlExbuvD47f2SLjZw";
    private DownstreamService _challenges = null!;
    private ServiceFactory<Program> _gateway = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _challenges = await DownstreamService.StartAsync("challenges");
        _gateway = new ServiceFactory<Program>(($"services:challenges:http:0", _challenges.Address));
        _client = _gateway.CreateClient();
    }

    [Fact]
    public async Task Forwards_the_challenge_status_to_challenges()
    {
        var body = await _client.GetStringAsync($"/api/challenges/{ChallengeId}");

        Assert.Equal($"challenges:/api/challenges/{ChallengeId}", body);
    }

    [Fact]
    public async Task Forwards_a_resend_to_challenges()
    {
        using var response = await _client.PostAsync($"/api/challenges/{ChallengeId}/resend", null);

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
        var before = _challenges.ReceivedPaths.Count(received => received != "/health");

        using var response = await _client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        // A known path with the wrong method is 405 from routing; either way nothing is forwarded.
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed });
        Assert.Equal(before, _challenges.ReceivedPaths.Count(received => received != "/health"));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _challenges.DisposeAsync();
    }
}
