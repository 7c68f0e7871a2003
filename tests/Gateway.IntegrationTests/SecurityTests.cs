using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlexWhere.Testing;

namespace FlexWhere.Gateway.IntegrationTests;

[Collection(RedisCollection.Name)]
public sealed class SecurityTests(RedisServer redis) : IAsyncLifetime
{
    private GatewayStack _stack = null!;

    public async Task InitializeAsync() => _stack = await GatewayStack.StartAsync(redis.ConnectionString);

    [Fact]
    public async Task Closes_a_route_without_a_policy_to_callers_without_a_token()
    {
        using var response = await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath));

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "authentication_required");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Empty(_stack.Services["accounts"].ReceivedApiRequests);
    }

    [Fact]
    public async Task Refuses_a_token_signed_with_another_key()
    {
        using var stranger = new TestTokens("test-key");

        using var response = await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath, stranger.Issue()));

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Empty(_stack.Services["accounts"].ReceivedApiRequests);
    }

    [Fact]
    public async Task Refuses_an_expired_token()
    {
        var expired = _stack.Tokens.Issue(expires: DateTime.UtcNow.AddMinutes(-5));

        using var response = await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath, expired));

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "token_expired");
    }

    [Fact]
    public async Task Refuses_a_token_for_another_audience()
    {
        var foreign = _stack.Tokens.Issue(audience: "someone-else");

        using var response = await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath, foreign));

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Forwards_a_valid_token_and_strips_forged_identity_headers()
    {
        using var request = _stack.Get(GatewayStack.ProtectedPath, _stack.Tokens.Issue(Guid.NewGuid().ToString()));
        request.Headers.Add("X-FlexWhere-User-Id", "someone-else");
        request.Headers.Add("X-Internal-Api-Key", "guessed");
        request.Headers.Add("X-User-Role", "Admin");

        using var response = await _stack.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(_stack.Services["accounts"].ReceivedApiRequests);
        Assert.StartsWith("Bearer ", forwarded.Headers["Authorization"]);
        Assert.DoesNotContain(forwarded.Headers.Keys, name =>
            name.StartsWith("X-FlexWhere-", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("X-Internal-", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("X-User-", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Accepts_tokens_of_a_rotated_key_without_a_restart()
    {
        Assert.Equal(HttpStatusCode.OK,
            (await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath, _stack.Tokens.Issue(Guid.NewGuid().ToString()))))
            .StatusCode);

        using var rotated = new TestTokens("rotated-key");
        _stack.Services["accounts"].Jwks = rotated.Jwks;
        var jwksFetches = JwksFetches();
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        // The first token with the unknown key makes the Gateway fetch the key set again within the request:
        // that very request is accepted.
        using var response = await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath, rotated.Issue(Guid.NewGuid().ToString())));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(JwksFetches() > jwksFetches, "The key set was not fetched again.");
    }

    [Fact]
    public async Task Answers_429_with_retry_after_once_a_user_exceeds_the_limit()
    {
        var token = _stack.Tokens.Issue(Guid.NewGuid().ToString());
        for (var i = 0; i < GatewayStack.PerUserLimit; i++)
        {
            using var allowed = await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath, token));
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var refused = await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath, token));

        await AssertProblemAsync(refused, HttpStatusCode.TooManyRequests, "rate_limited");
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal(GatewayStack.PerUserLimit, _stack.Services["accounts"].ReceivedApiRequests.Count());

        // Another user is not affected.
        using var other = await _stack.Client.SendAsync(_stack.Get(GatewayStack.ProtectedPath, _stack.Tokens.Issue(Guid.NewGuid()
            .ToString())));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Answers_cors_preflights_for_the_control_centre_origin_only()
    {
        using var allowed = await _stack.Client.SendAsync(Preflight("https://cc.flexwhere.test"));
        using var refused = await _stack.Client.SendAsync(Preflight("https://evil.example"));

        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("https://cc.flexwhere.test", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("authorization", allowed.Headers.GetValues("Access-Control-Allow-Headers").Single(),
            StringComparison.OrdinalIgnoreCase);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData(GatewayStack.AnonymousPath)]
    [InlineData("/no/such/path")]
    [InlineData("/health")]
    [InlineData(GatewayStack.ProtectedPath)]
    public async Task Sets_security_headers_on_every_response(string path)
    {
        using var response = await _stack.Client.GetAsync(path);

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task Fails_closed_with_503_when_its_rate_limit_store_is_down()
    {
        await using var stack = await GatewayStack.StartAsync(
            $"127.0.0.1:{HealthProbe.ClosedPort()},abortConnect=false,connectTimeout=500,syncTimeout=500,asyncTimeout=500");

        using var response = await stack.Client.GetAsync(GatewayStack.AnonymousPath);

        var problem = await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "service_unavailable");
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.Equal(5, problem.GetProperty("retryAfterSeconds").GetInt64());
        Assert.Empty(stack.Services["accounts"].ReceivedApiRequests);
    }

    /// <summary>The Gateway is the one per-IP limit on sign-in (Accounts kept an in-memory copy per instance
    /// until it was removed): sign-in attempts past the limit are refused at the edge and never reach Accounts.</summary>
    [Fact]
    public async Task Too_many_sign_in_requests_from_one_address_are_refused_before_accounts()
    {
        const int limit = 3;
        await using var stack = await GatewayStack.StartAsync(redis.ConnectionString, false,
            ("Gateway:RateLimits:AnonymousPerIpPerMinute", limit.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        // The address's bucket may hold counts from other tests this minute: the refusal may come early, never late.
        HttpResponseMessage? refused = null;
        for (var sent = 0; refused is null && sent <= limit; sent++)
        {
            var response = await stack.Client.PostAsync("/api/auth/login", JsonContent.Create(new { email = "nobody@example.test" }));
            if (response.StatusCode == HttpStatusCode.TooManyRequests) refused = response;
            else response.Dispose();
        }

        using var tooMany = Assert.IsType<HttpResponseMessage>(refused);
        var problem = await AssertProblemAsync(tooMany, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.InRange(problem.GetProperty("retryAfterSeconds").GetInt64(), 1, 60);
        Assert.InRange(stack.Services["accounts"].ReceivedApiRequests.Count(request => request.Path == "/api/auth/login"), 0, limit);
    }

    /// <summary>"Forgot password" e-mails a stranger's mailbox: its own, smaller limit per address, apart from sign-in's.</summary>
    [Fact]
    public async Task Few_password_link_requests_from_one_address_pass_and_sign_in_keeps_its_own_limit()
    {
        const int limit = 2;
        await using var stack = await GatewayStack.StartAsync(redis.ConnectionString, false,
            ("Gateway:RateLimits:MessageRequestsPerIpPerMinute", limit.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        HttpResponseMessage? refused = null;
        for (var sent = 0; refused is null && sent <= limit; sent++)
        {
            var response = await stack.Client.PostAsync("/api/auth/password/forgot", JsonContent.Create(new { email = "a@example.test" }));
            if (response.StatusCode == HttpStatusCode.TooManyRequests) refused = response;
            else response.Dispose();
        }

        using var tooMany = Assert.IsType<HttpResponseMessage>(refused);
        await AssertProblemAsync(tooMany, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.InRange(stack.Services["accounts"].ReceivedApiRequests.Count(request => request.Path == "/api/auth/password/forgot"), 0,
            limit);
        using var signIn = await stack.Client.PostAsync("/api/auth/login", JsonContent.Create(new { email = "a@example.test" }));
        Assert.NotEqual(HttpStatusCode.TooManyRequests, signIn.StatusCode);
    }

    public static TheoryData<string, HttpStatusCode, string> Refusals => new()
    {
        { "/api/no-such-route", HttpStatusCode.NotFound, "not_found" },
        { GatewayStack.ProtectedPath, HttpStatusCode.Unauthorized, "authentication_required" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Every_refusal_of_the_gateway_carries_a_code_and_a_trace_id(string path, HttpStatusCode status, string code)
    {
        using var response = await _stack.Client.GetAsync(path);

        var problem = await AssertProblemAsync(response, status, code);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("traceId").GetString()));
    }

    [Fact]
    public async Task Refuses_a_body_over_the_size_limit_with_413_and_forwards_nothing()
    {
        await using var stack = await GatewayStack.StartAsync(redis.ConnectionString, onKestrel: true);
        using var request = new HttpRequestMessage(HttpMethod.Post, GatewayStack.ProtectedPath)
        {
            Headers = { Authorization = new("Bearer", stack.Tokens.Issue(Guid.NewGuid().ToString())) },
            Content = new ByteArrayContent(new byte[200 * 1024]) { Headers = { ContentType = new("application/json") } },
        };

        using var response = await stack.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Empty(stack.Services["accounts"].ReceivedApiRequests);
    }

    private int JwksFetches() => _stack.Services["accounts"].Received.Count(request => request.Path == "/.well-known/jwks.json");

    private static HttpRequestMessage Preflight(string origin) => new(HttpMethod.Options, GatewayStack.ProtectedPath)
    {
        Headers =
        {
            { "Origin", origin },
            { "Access-Control-Request-Method", "GET" },
            { "Access-Control-Request-Headers", "authorization" },
        },
    };

    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        // Retry-After and retryAfterSeconds say the same, wherever the problem was written.
        var member = problem.TryGetProperty("retryAfterSeconds", out var seconds) ? seconds.GetInt64() : (long?)null;
        Assert.Equal((long?)response.Headers.RetryAfter?.Delta?.TotalSeconds, member);
        return problem;
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();
}
