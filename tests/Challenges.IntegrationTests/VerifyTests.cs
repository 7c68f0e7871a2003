using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlexWhere.Testing;

namespace FlexWhere.Challenges.IntegrationTests;

[Collection(ServersCollection.Name)]
public class VerifyTests(RedisServer redis, RabbitMqServer rabbitMq) : IAsyncLifetime
{
    private ChallengesApp _app = null!;
    private SmsCapture _sms = null!;

    public async Task InitializeAsync()
    {
        _app = new ChallengesApp(redis, rabbitMq);
        _sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _sms.DisposeAsync();
        _app.Dispose();
    }

    private async Task<(ChallengeRequest Request, Created Created, string Code)> NewChallengeAsync(string purpose = "sign_in")
    {
        var request = ChallengeRequest.Fresh() with { Purpose = purpose };
        var created = await _app.CreateOkAsync(request);
        var sms = await _sms.WaitForChallengeAsync(created.ChallengeId);
        return (request, created, sms.Code);
    }

    private static string WrongCode(string code) => ((int.Parse(code) + 1) % 1_000_000).ToString("D6");

    [Fact]
    public async Task Verify_accepts_the_right_code_and_names_the_user()
    {
        var (request, created, code) = await NewChallengeAsync();

        using var response = await _app.VerifyAsync(created.ChallengeId, code);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.GetProperty("verified").GetBoolean());
        Assert.Equal(request.UserId, body.GetProperty("userId").GetGuid());
        Assert.Equal(request.OrganisationId, body.GetProperty("organisationId").GetGuid());
        Assert.Equal(request.Destination, body.GetProperty("destination").GetString());
        Assert.Equal("verified", (await _app.StatusAsync(created.ChallengeId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Verify_rejects_a_wrong_code_and_says_how_many_tries_are_left()
    {
        var (_, created, code) = await NewChallengeAsync();

        using var response = await _app.VerifyAsync(created.ChallengeId, WrongCode(code));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "invalid_code");
        Assert.Equal(4, (await response.ReadProblemAsync()).GetProperty("attemptsLeft").GetInt32());
        Assert.Equal(4, (await _app.StatusAsync(created.ChallengeId)).GetProperty("attemptsLeft").GetInt32());
    }

    [Fact]
    public async Task Verify_rejects_the_code_for_another_purpose()
    {
        var (_, created, code) = await NewChallengeAsync(purpose: "sign_in");

        using var response = await _app.VerifyAsync(created.ChallengeId, code, purpose: "phone_verification");

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "invalid_code");
    }

    [Fact]
    public async Task Verify_rejects_even_the_right_code_after_five_wrong_attempts()
    {
        var (_, created, code) = await NewChallengeAsync();

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            using var wrong = await _app.VerifyAsync(created.ChallengeId, WrongCode(code));
            await wrong.AssertProblemAsync(HttpStatusCode.BadRequest, "invalid_code");
        }

        using var fifth = await _app.VerifyAsync(created.ChallengeId, WrongCode(code));
        await fifth.AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");

        using var right = await _app.VerifyAsync(created.ChallengeId, code);
        await right.AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
        Assert.Equal("locked", (await _app.StatusAsync(created.ChallengeId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Verify_rejects_the_right_code_once_it_has_expired()
    {
        var (_, created, code) = await NewChallengeAsync();

        _app.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        using var response = await _app.VerifyAsync(created.ChallengeId, code);

        await response.AssertProblemAsync(HttpStatusCode.Gone, "challenge_expired");
        Assert.Equal("expired", (await _app.StatusAsync(created.ChallengeId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Verify_accepts_the_right_code_just_before_it_expires()
    {
        var (_, created, code) = await NewChallengeAsync();

        _app.Time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        using var response = await _app.VerifyAsync(created.ChallengeId, code);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Verify_refuses_a_code_that_was_already_used()
    {
        var (_, created, code) = await NewChallengeAsync();
        using var first = await _app.VerifyAsync(created.ChallengeId, code);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var again = await _app.VerifyAsync(created.ChallengeId, code);

        await again.AssertProblemAsync(HttpStatusCode.Conflict, "challenge_already_used");
    }

    [Fact]
    public async Task Two_concurrent_verifies_with_the_right_code_give_exactly_one_success()
    {
        for (var round = 0; round < 10; round++)
        {
            var (_, created, code) = await NewChallengeAsync();

            var responses = await Task.WhenAll(
                _app.VerifyAsync(created.ChallengeId, code),
                _app.VerifyAsync(created.ChallengeId, code));

            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
            await responses.Single(r => r.StatusCode != HttpStatusCode.OK)
                .AssertProblemAsync(HttpStatusCode.Conflict, "challenge_already_used");
            foreach (var response in responses) response.Dispose();
        }
    }

    [Fact]
    public async Task Verify_answers_not_found_for_an_unknown_challenge()
    {
        using var response = await _app.VerifyAsync("AAAAAAAAAAAAAAAAAAAAAA", "123456");

        await response.AssertProblemAsync(HttpStatusCode.NotFound, "challenge_not_found");
    }

    [Fact]
    public async Task Verify_rejects_a_code_that_is_not_six_digits_without_counting_it()
    {
        var (_, created, _) = await NewChallengeAsync();

        using var response = await _app.VerifyAsync(created.ChallengeId, "12ab");

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(5, (await _app.StatusAsync(created.ChallengeId)).GetProperty("attemptsLeft").GetInt32());
    }

    [Fact]
    public async Task Redis_holds_no_plaintext_code_and_every_key_expires()
    {
        var codes = new List<string>();
        for (var i = 0; i < 5; i++) codes.Add((await NewChallengeAsync()).Code);
        var (_, resentChallenge, _) = await NewChallengeAsync();
        _app.Time.Advance(TimeSpan.FromSeconds(31));
        using (var resend = await _app.ResendAsync(resentChallenge.ChallengeId)) Assert.Equal(HttpStatusCode.OK, resend.StatusCode);
        codes.Add((await _sms.WaitForAsync(s => s.ChallengeId == resentChallenge.ChallengeId && !codes.Contains(s.Code))).Code);

        var dump = await RedisDump.AllAsync(redis.ConnectionString);

        Assert.NotEmpty(dump);
        foreach (var (key, values, ttl) in dump)
        {
            Assert.True(ttl is not null, $"{key} has no TTL");
            foreach (var code in codes)
            {
                PlaintextCodes.AssertNotIn(key, code, "a key's name");
                Assert.All(values, value => PlaintextCodes.AssertNotIn(value, code, $"a value of {key}"));
            }
        }
    }
}
