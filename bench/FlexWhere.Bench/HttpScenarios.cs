using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using FlexWhere.Challenges.Codes;
using FlexWhere.Contracts;
using StackExchange.Redis;

namespace FlexWhere.Bench;

public sealed record BenchSettings(bool Smoke, TimeSpan WarmUp, TimeSpan Duration, int Concurrency, int Rounds, int Verifies, int Messages)
{
    public static readonly BenchSettings Full = new(false, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10), 32, 2, 20_000, 5_000);

    /// <summary>--smoke: tiny counts that check the harness and print no figures worth keeping.</summary>
    public static readonly BenchSettings Tiny = new(true, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), 8, 1, 300, 100);
}

/// <summary>P1 (Gateway / direct / nginx) and P2 (verify / raw Redis).</summary>
public static class HttpScenarios
{
    public static HttpClient NewClient(int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        UseCookies = false,
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// P1. Challenges' API document (<c>/openapi/v1.json</c>), through the Gateway by a route the bench adds for
    /// this run (<see cref="Services.BenchDocumentPath"/>): Challenges' API is internal (service key,
    /// <c>/internal/…</c>), which the Gateway never routes, and the Gateway publishes only the merged document.
    /// Each path's rate (the rounds' mean) and its last round's CPU per request.
    /// </summary>
    public static async Task<Dictionary<string, Measured>> ProxyAsync(Report report, BenchSettings settings, Services services, Nginx nginx,
        ChallengeSeeder seeder, RssSampler rss)
    {
        var targets = new (string Name, string BaseUrl)[]
        {
            ("direct to Challenges", services.Url("Challenges") + "/openapi/v1.json"),
            ("nginx → Challenges", nginx.Url + "/openapi/v1.json"),
            ("Gateway (YARP) → Challenges", services.Url("Gateway") + Services.BenchDocumentPath),
        };

        foreach (var (name, baseUrl) in targets)
        {
            // A wrong answer here would make every figure below meaningless: fail loudly instead.
            using var checker = new HttpClient { Timeout = TimeSpan.FromSeconds(60) }; // the first request JITs the whole path
            using var check = await checker.GetAsync(baseUrl);
            await FailureReason.ExpectSuccessAsync(check, $"P1 {name}, first request");
        }

        // Each path once under load before any round counts, so that every round measures tier-1 code:
        // a round's own 3 s warm-up is too short for the JIT on two busy cores (docs/benchmarks.md).
        foreach (var (name, baseUrl) in targets)
        {
            using var client = NewClient(settings.Concurrency);
            var warmUp = await Load.RunAsync($"{name} (warm-up)", settings.Concurrency, TimeSpan.Zero, settings.Smoke ? settings.WarmUp
                : TimeSpan.FromSeconds(10), _ => GetAsync(client, baseUrl));
            report.Failures("P1").Add(warmUp.Failures);
        }

        var rates = targets.ToDictionary(t => t.Name, _ => new List<double>());
        var lastCpu = targets.ToDictionary(t => t.Name, _ => CpuPerOperation.None);
        for (var round = 1; round <= settings.Rounds; round++)
        {
            // Alternate the order so neither side always runs on the warmer (or busier) machine.
            var order = round % 2 == 1 ? targets : targets.Reverse().ToArray();
            foreach (var (name, baseUrl) in order)
            {
                using var client = NewClient(settings.Concurrency);
                rss.Phase = $"P1 {name}";
                CpuMeter? cpu = null;
                var used = CpuUse.None;
                var result = await Load.RunAsync($"{name} (round {round})", settings.Concurrency, settings.WarmUp, settings.Duration,
                    _ => GetAsync(client, baseUrl), measuring: on =>
                {
                    if (on) cpu = CpuMeter.Start();
                    else used = cpu!.Stop();
                });
                rss.Phase = "idle";
                report.Row("P1 document read", result);
                report.Line($"P1 {name} (round {round}) CPU: {CpuMeter.Format(used)}; " +
                    $"{CpuMeter.PerOperation(used.Parts, result.Completed)}");
                rates[name].Add(result.PerSecond);
                lastCpu[name] = CpuPerOperation.Of(used, result.Completed);
            }
        }

        return rates.ToDictionary(r => r.Key, r => new Measured(r.Value.Average(), lastCpu[r.Key]));
    }

    private static async Task<bool> GetAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseContentRead);
        return await FailureReason.ExpectSuccessAsync(response);
    }

    /// <summary>P2. Verifies that consume a seeded challenge each: over HTTP to Challenges, the same
    /// code path in-process, and the bare Redis commands. Each loop's rate (the rounds' mean) and its last round's CPU per
    /// verify.</summary>
    public static async Task<Dictionary<string, Measured>> VerifyAsync(Report report, BenchSettings settings, Services services,
        ChallengeSeeder seeder, IConnectionMultiplexer redis, RssSampler rss)
    {
        var db = redis.GetDatabase();
        var script = await RawScript.LoadAsync(redis);

        using var client = NewClient(settings.Concurrency);
        var verifyUrl = services.Url("Challenges") + "/internal/challenges/{0}/verify";
        async Task<bool> HttpVerify(SeededChallenge challenge)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, string.Format(System.Globalization.CultureInfo.InvariantCulture,
                verifyUrl, challenge.Id))
            {
                Content = JsonContent.Create(new { code = challenge.Code, purpose = ChallengePurposes.SignIn }),
            };
            request.Headers.Add("X-Internal-Api-Key", services.InternalApiKey);
            using var response = await client.SendAsync(request);
            return await FailureReason.ExpectSuccessAsync(response);
        }

        async Task<bool> InProcess(SeededChallenge challenge)
        {
            var candidate = seeder.Hasher.Hash(challenge.Id, ChallengePurposes.SignIn, challenge.Code);
            var stored = await seeder.Store.ReadCodeHashAsync(challenge.Id);
            var matched = !stored.IsNull && CryptographicOperations.FixedTimeEquals(candidate, (byte[])stored!);
            var result = await seeder.Store.ConsumeAsync(challenge.Id, ChallengePurposes.SignIn, stored, matched, DateTimeOffset.UtcNow);
            return result.Outcome == VerifyOutcome.Verified ? true : throw new OperationFailedException($"outcome {result.Outcome}");
        }

        async Task<bool> Raw(SeededChallenge challenge)
        {
            var key = seeder.Keys.Challenge(challenge.Id);
            var stored = await db.HashGetAsync(key, "codeHash");
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(script.Hash, [key],
                [ChallengePurposes.SignIn, stored, "1", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()]))!;
            var outcome = (string)result[0]!;
            return outcome == "verified" ? true : throw new OperationFailedException($"script answered {outcome}");
        }

        var loops = new (string Name, Func<SeededChallenge, Task<bool>> Verify)[]
        {
            ("Challenges HTTP verify (direct)", HttpVerify),
            ("same code path in-process (ChallengeStore + HMAC)", InProcess),
            ("raw StackExchange.Redis (HGET + EVALSHA)", Raw),
        };
        var perRound = loops.ToDictionary(l => l.Name, _ => new List<double>());
        var lastCpu = loops.ToDictionary(l => l.Name, _ => CpuPerOperation.None);
        for (var round = 1; round <= settings.Rounds; round++)
        {
            foreach (var (name, verify) in loops)
            {
                // Warm-up on its own small supply, then the measured run until its supply is used up.
                var warmUp = await RunSupplyAsync(await seeder.SeedAsync(Math.Max(50, settings.Verifies / 10)), settings.Concurrency, name,
                    verify);
                report.Failures("P2").Add(warmUp.Failures);
                var set = await seeder.SeedAsync(settings.Verifies);
                rss.Phase = $"P2 {name}";
                CpuMeter? cpu = null;
                var used = CpuUse.None;
                var result = await RunSupplyAsync(set, settings.Concurrency, $"{name} (round {round})", verify, on =>
                {
                    if (on) cpu = CpuMeter.Start();
                    else used = cpu!.Stop();
                });
                rss.Phase = "idle";
                report.Row("P2 verify", result, "verifies/s");
                report.Line($"P2 {name} (round {round}) CPU: {CpuMeter.Format(used)}; " +
                    $"{CpuMeter.PerOperation(used.Parts, result.Completed)}");
                perRound[name].Add(result.PerSecond);
                lastCpu[name] = CpuPerOperation.Of(used, result.Completed);
            }
        }

        return perRound.ToDictionary(r => r.Key, r => new Measured(r.Value.Average(), lastCpu[r.Key]));
    }

    private static Task<LoadResult> RunSupplyAsync(SeededChallenge[] set, int concurrency, string name,
        Func<SeededChallenge, Task<bool>> verify, Action<bool>? measuring = null) =>
        Load.RunAsync(name, concurrency, TimeSpan.Zero, TimeSpan.FromMinutes(5), n =>
            n < set.Length ? verify(set[n]) : throw new SupplyExhaustedException(), measuring);
}

/// <summary>The consume script's success path, called by SHA like the service's LuaScript.</summary>
internal static class RawScript
{
    private const string Text = """
        local f = redis.call('HMGET', KEYS[1], 'state', 'purpose', 'codeHash', 'attempts', 'maxAttempts', 'expiresAt')
        if not f[1] then return {'not_found', 0} end
        if f[1] ~= 'pending' or tonumber(ARGV[4]) >= tonumber(f[6]) then return {'closed', 0} end
        if ARGV[3] == '1' and f[2] == ARGV[1] and f[3] == ARGV[2] then
          redis.call('HDEL', KEYS[1], 'codeHash')
          redis.call('HSET', KEYS[1], 'state', 'verified', 'verifiedAt', ARGV[4])
          local who = redis.call('HMGET', KEYS[1], 'userId', 'organisationId', 'destination')
          return {'verified', tonumber(f[5]) - tonumber(f[4]), who[1], who[2], who[3]}
        end
        return {'invalid', 0}
        """;

    public static async Task<LoadedLuaScript> LoadAsync(IConnectionMultiplexer redis) =>
        await LuaScript.Prepare(Text).LoadAsync(redis.GetServer(redis.GetEndPoints()[0]));
}
