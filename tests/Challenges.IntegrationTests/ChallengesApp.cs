using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using FlexWhere.Testing;
using MassTransit;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace FlexWhere.Challenges.IntegrationTests;

/// <summary>The Challenges service in memory against the real Redis and RabbitMQ, with a fake clock.</summary>
public sealed class ChallengesApp : IDisposable
{
    public const string InternalKey = "internal-api-key-for-the-tests-0123456789";
    public static readonly string CodeHashKey = new('k', 48);

    private readonly WebApplicationFactory<Program> _factory;

    public ChallengesApp(RedisServer redis, RabbitMqServer rabbitMq, params (string Key, string? Value)[] overrides)
        : this(redis.ConnectionString, rabbitMq.ConnectionString, brokerAnswers: true, overrides)
    {
    }

    /// <summary>Redis down: the broker is real.</summary>
    public static ChallengesApp WithRedisDown(RabbitMqServer rabbitMq) =>
        new($"127.0.0.1:{HealthProbe.ClosedPort()},abortConnect=false,connectTimeout=500,asyncTimeout=1000", rabbitMq.ConnectionString,
            brokerAnswers: true, [], redisAnswers: false);

    /// <summary>The broker reached at <paramref name="rabbitMq"/> (a relay in front of the real one): Redis is real.</summary>
    public static ChallengesApp Through(RedisServer redis, string rabbitMq, params (string Key, string? Value)[] overrides) =>
        new(redis.ConnectionString, rabbitMq, brokerAnswers: true, overrides);

    /// <summary>The broker down: Redis is real; a publish gives up after <paramref name="publishTimeout"/> (a second unless
    /// given).</summary>
    public static ChallengesApp WithBrokerDown(RedisServer redis, TimeSpan? publishTimeout = null) =>
        new(redis.ConnectionString, $"amqp://guest:guest@127.0.0.1:{HealthProbe.ClosedPort()}", brokerAnswers: false,
            [("Challenges:PublishTimeout", (publishTimeout ?? TimeSpan.FromSeconds(1)).ToString("c"))]);

    private ChallengesApp(string redis, string rabbitMq, bool brokerAnswers, (string Key, string? Value)[] overrides,
        bool redisAnswers = true)
    {
        (string, string?)[] settings =
        [
            ("ConnectionStrings:redis", redis),
            ("ConnectionStrings:rabbitmq", rabbitMq),
            ("Challenges:CodeHashKey", CodeHashKey),
            ("InternalApi:Key", InternalKey),
            // The shared broker can take over 5 s (the default) to confirm a publish while the run's other suites boot their
            // stacks: a clean-clone run on 2026-11-30 saw a code refused 503 sms_not_sent so. The tests of the timeout set
            // their own.
            ("Challenges:PublishTimeout", "00:00:30"),
            .. overrides,
        ];
        _factory = new ServiceFactory<Program>(settings)
            .WithWebHostBuilder(host => host.ConfigureServices(services =>
            {
                services.AddSingleton<TimeProvider>(Time);
                // A bus still starting when its host is disposed keeps consuming from the shared
                // queues with a disposed container; waiting for it at start rules that out.
                if (brokerAnswers) services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true);
            }));
        Internal = _factory.CreateClient();
        Internal.DefaultRequestHeaders.Add("X-Internal-Api-Key", InternalKey);
        Public = _factory.CreateClient();
        // The Redis client connects in the background; on a Redis Cluster a script sent before every node's role
        // is known may reach a replica (READONLY). A service takes traffic once ready; the tests wait as long.
        var connection = _factory.Services.GetRequiredService<IConnectionMultiplexer>();
        if (redisAnswers) SpinWait.SpinUntil(() => connection.GetServers().All(server => server.IsConnected), TimeSpan.FromSeconds(10));
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));

    /// <summary>Sends the service key, as Accounts does.</summary>
    public HttpClient Internal { get; }

    /// <summary>No service key.</summary>
    public HttpClient Public { get; }

    public IServiceProvider Services => _factory.Services;

    public Task<HttpResponseMessage> CreateAsync(ChallengeRequest request) => Internal.PostAsJsonAsync("/internal/challenges", request);

    public async Task<Created> CreateOkAsync(ChallengeRequest request)
    {
        using var response = await CreateAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, body);
        return JsonSerializer.Deserialize<Created>(body, JsonSerializerOptions.Web)!;
    }

    public Task<HttpResponseMessage> VerifyAsync(string challengeId, string code, string purpose = "sign_in") =>
        Internal.PostAsJsonAsync($"/internal/challenges/{challengeId}/verify", new { code, purpose });

    public Task<HttpResponseMessage> ResendAsync(string challengeId) =>
        Internal.PostAsync($"/internal/challenges/{challengeId}/resend", null);

    /// <summary>The challenge's state as Accounts reads it for the user's login ticket.</summary>
    public async Task<JsonElement> StatusAsync(string challengeId)
    {
        using var response = await Internal.GetAsync($"/internal/challenges/{challengeId}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public void Dispose()
    {
        Internal.Dispose();
        Public.Dispose();
        _factory.Dispose();
    }
}

public sealed record Created(string ChallengeId, string MaskedDestination, DateTimeOffset ExpiresAt, DateTimeOffset ResendAfter);

/// <summary>A create request with fresh ids, number and IP, so tests sharing one Redis do not share limits.</summary>
public sealed record ChallengeRequest(
    Guid OrganisationId, Guid UserId, string Purpose, string Destination, string Locale, string ClientIp,
    bool Priority = false)
{
    public static ChallengeRequest Fresh() => new(
        Guid.NewGuid(), Guid.NewGuid(), "sign_in", NewDutchMobile(), "en", NewIp());

    /// <summary>Kept for the number-prefix limit test: no other test draws numbers from it.</summary>
    public const string PrefixTestRange = "+3163";

    /// <summary>A valid Dutch mobile number, +3162 (or the given start) and random digits to twelve characters.</summary>
    public static string NewDutchMobile(string? prefix = null)
    {
        var start = prefix ?? "+3162";
        var digits = 12 - start.Length;
        return start + RandomNumberGenerator.GetInt32(0, (int)Math.Pow(10, digits))
            .ToString($"D{digits}", System.Globalization.CultureInfo.InvariantCulture);
    }

    public static string NewIp() =>
        $"10.{RandomNumberGenerator.GetInt32(0, 256)}.{RandomNumberGenerator.GetInt32(0, 256)}.{RandomNumberGenerator.GetInt32(1, 255)}";
}

public static class Problems
{
    public static async Task<JsonElement> ReadProblemAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public static async Task AssertProblemAsync(this HttpResponseMessage response, System.Net.HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {status}, got {response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
    }

    public static int RetryAfterSeconds(this HttpResponseMessage response) =>
        (int)response.Headers.RetryAfter!.Delta!.Value.TotalSeconds;
}

public static class RedisDump
{
    /// <summary>Every key and every value in the database, as text.</summary>
    public static async Task<List<(string Key, List<string> Values, TimeSpan? Ttl)>> AllAsync(string connectionString)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString + ",allowAdmin=true");
        var db = redis.GetDatabase();
        var result = new List<(string, List<string>, TimeSpan?)>();
        foreach (var endpoint in redis.GetEndPoints())
        {
            await foreach (var key in redis.GetServer(endpoint).KeysAsync(pattern: "*"))
            {
                var values = new List<string>();
                switch (await db.KeyTypeAsync(key))
                {
                    case RedisType.String: values.Add((string?)await db.StringGetAsync(key) ?? ""); break;
                    case RedisType.Hash: values.AddRange((await db.HashGetAllAsync(key))
                        .SelectMany(e => new[] { (string)e.Name!, (string?)e.Value ?? "" })); break;
                    case RedisType.SortedSet: values.AddRange((await db.SortedSetRangeByRankWithScoresAsync(key))
                        .Select(e => $"{e.Element}:{e.Score}")); break;
                    case RedisType.Set: values.AddRange((await db.SetMembersAsync(key)).Select(v => (string)v!)); break;
                    case RedisType.List: values.AddRange((await db.ListRangeAsync(key)).Select(v => (string)v!)); break;
                }

                var ttl = await db.KeyTimeToLiveAsync(key);
                // Gone since the scan (a window emptied, a send given back, by a test running beside): nothing lingers.
                if (ttl is null && !await db.KeyExistsAsync(key)) continue;
                result.Add((key!, values, ttl));
            }
        }

        return result;
    }
}
