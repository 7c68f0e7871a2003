using System.Net;
using System.Net.Http.Json;
using FlexWhere.Testing;

namespace FlexWhere.Challenges.IntegrationTests;

[Collection(ServersCollection.Name)]
public sealed class InternalApiKeyTests(RedisServer redis, RabbitMqServer rabbitMq) : IDisposable
{
    private readonly ChallengesApp _app = new(redis, rabbitMq);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("internal-api-key-for-the-tests-012345678X")]
    [InlineData("internal-api-key-for-the-tests-0123456789-and-more")]
    public async Task Internal_endpoints_refuse_a_caller_without_the_right_service_key(string? key)
    {
        var created = await _app.CreateOkAsync(ChallengeRequest.Fresh());
        var id = created.ChallengeId;
        (HttpMethod Method, string Path)[] endpoints =
        [
            (HttpMethod.Post, "/internal/challenges"), (HttpMethod.Get, $"/internal/challenges/{id}"),
            (HttpMethod.Post, $"/internal/challenges/{id}/verify"), (HttpMethod.Post, $"/internal/challenges/{id}/resend"),
            (HttpMethod.Post, "/internal/notices"),
        ];
        foreach (var (method, path) in endpoints)
        {
            using var request = new HttpRequestMessage(method, path);
            if (method == HttpMethod.Post) request.Content = JsonContent.Create(ChallengeRequest.Fresh());
            if (key is not null) request.Headers.Add("X-Internal-Api-Key", key);

            using var response = await _app.Public.SendAsync(request);

            await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized_service");
        }
    }

    [Fact]
    public async Task A_refused_caller_gets_no_sms_sent()
    {
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var request = ChallengeRequest.Fresh();
        using var message = new HttpRequestMessage(HttpMethod.Post, "/internal/challenges") { Content = JsonContent.Create(request) };
        message.Headers.Add("X-Internal-Api-Key", "wrong");

        using var response = await _app.Public.SendAsync(message);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(await sms.SettledAsync(s => s.Destination == request.Destination));
    }

    private const string NextKey = "next-internal-api-key-for-the-tests-0123456789";

    [Fact]
    public async Task Accepts_the_current_and_the_next_key_while_a_rotation_overlaps()
    {
        using var overlapping = new ChallengesApp(redis, rabbitMq, ("InternalApi:AcceptedKeys:0", NextKey));

        foreach (var key in new[] { ChallengesApp.InternalKey, NextKey })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/internal/challenges") { Content = JsonContent.Create(ChallengeRequest.Fresh()) };
            request.Headers.Add("X-Internal-Api-Key", key);

            using var response = await overlapping.Public.SendAsync(request);

            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
    }

    [Fact]
    public async Task Refuses_a_key_removed_by_the_rotation()
    {
        using var rotated = new ChallengesApp(redis, rabbitMq, ("InternalApi:Key", NextKey));

        // Internal sends the key of before the rotation.
        using var response = await rotated.CreateAsync(ChallengeRequest.Fresh());

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized_service");
    }

    public void Dispose() => _app.Dispose();
}
