using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using FlexWhere.Challenges.Codes;
using FlexWhere.LocalServers;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlexWhere.Challenges.Benchmarks;

/// <summary>
/// Verify throughput of the service's code path (HMAC, HGET of the stored hash, constant-time
/// compare, the consume script, result parsing) beside a raw StackExchange.Redis loop issuing the
/// same two Redis commands (HGET + the same script) with nothing around them. Each verify consumes
/// a fresh challenge, created before the clock starts.
///   dotnet run -c Release --project bench/Challenges.Benchmarks [-- --count 20000 --concurrency 32 --rounds 3]
/// Uses FLEXWHERE_BENCH_REDIS when set, else starts a private redis-server on a free loopback port.
/// </summary>
public static class VerifyThroughput
{
    public static async Task<int> Main(string[] args)
    {
        var count = Option(args, "--count", 20_000);
        var concurrency = Option(args, "--concurrency", 32);
        var rounds = Option(args, "--rounds", 3);

        await using var server = await BenchRedis.StartAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var options = new ChallengeOptions { CodeHashKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)) };
        var hasher = new CodeHasher(Options.Create(options));
        var keys = new RedisKeys(hasher.Pseudonymise);
        var store = new ChallengeStore(redis, keys);
        var now = DateTimeOffset.UtcNow;

        Console.WriteLine($"redis {server.Description}; {count} verifies per round, {concurrency} concurrent callers, {rounds} rounds, {Environment.ProcessorCount} cores");
        Console.WriteLine($"{"round",5} {"loop",-40} {"verifies/s",12} {"mean ms",9} {"successes",10}");

        // Round 0 warms up the JIT, the connection and the script cache; it is not printed.
        for (var round = 0; round <= rounds; round++)
        {
            var size = round == 0 ? Math.Max(1, count / 10) : count;
            var serviceSet = await SeedAsync(store, hasher, size, now);
            var (serviceRate, serviceMean, serviceOk) = await RunAsync(serviceSet, concurrency, async challenge =>
            {
                var candidate = hasher.Hash(challenge.Id, Purposes.SignIn, challenge.Code);
                var stored = await store.ReadCodeHashAsync(challenge.Id);
                var matched = !stored.IsNull && CryptographicOperations.FixedTimeEquals(candidate, (byte[])stored!);
                var result = await store.ConsumeAsync(challenge.Id, Purposes.SignIn, stored, matched, now);
                return result.Outcome == VerifyOutcome.Verified;
            });
            if (round > 0) Console.WriteLine($"{round,5} {"service (ChallengeStore + HMAC)",-40} {serviceRate,12:N0} {serviceMean,9:N3} {serviceOk,10}");

            var rawSet = await SeedAsync(store, hasher, size, now);
            var db = redis.GetDatabase();
            var script = await RawScript.LoadAsync(redis, server.EndPoint);
            var (rawRate, rawMean, rawOk) = await RunAsync(rawSet, concurrency, async challenge =>
            {
                RedisKey key = $"challenges:challenge:{challenge.Id}";
                var stored = await db.HashGetAsync(key, "codeHash");
                var result = (RedisResult[])(await db.ScriptEvaluateAsync(script.Hash, [key],
                    [Purposes.SignIn, stored, "1", now.ToUnixTimeMilliseconds()]))!;
                return (string)result[0]! == "verified";
            });
            if (round > 0) Console.WriteLine($"{round,5} {"raw StackExchange.Redis (HGET+EVALSHA)",-40} {rawRate,12:N0} {rawMean,9:N3} {rawOk,10}");
        }

        return 0;
    }

    private sealed record Seeded(string Id, string Code);

    private static async Task<Seeded[]> SeedAsync(ChallengeStore store, CodeHasher hasher, int count, DateTimeOffset now)
    {
        var seeded = new Seeded[count];
        var writes = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            var id = CodeHasher.NewChallengeId();
            var code = CodeHasher.NewCode();
            seeded[i] = new Seeded(id, code);
            writes.Add(store.CreateAsync(
                new ChallengeState(id, ChallengeStates.Pending, Purposes.SignIn, Guid.NewGuid(), Guid.NewGuid(), "+31612345678", "en", "203.0.113.7",
                    0, 5, now.AddMinutes(5), now.AddSeconds(30), Guid.NewGuid().ToString("N"), DeliveryStates.Queued, null, null),
                hasher.Hash(id, Purposes.SignIn, code),
                TimeSpan.FromMinutes(20)));
        }

        await Task.WhenAll(writes);
        return seeded;
    }

    private static async Task<(double PerSecond, double MeanMs, int Successes)> RunAsync(Seeded[] set, int concurrency, Func<Seeded, Task<bool>> verify)
    {
        var next = -1;
        var successes = 0;
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < set.Length)
            {
                if (await verify(set[index])) Interlocked.Increment(ref successes);
            }
        }));
        await Task.WhenAll(workers);
        stopwatch.Stop();
        var perSecond = set.Length / stopwatch.Elapsed.TotalSeconds;
        return (perSecond, concurrency * 1000.0 / perSecond, successes);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}

/// <summary>The consume script's success path, loaded once and called by SHA like the service's LuaScript.</summary>
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

    public static async Task<LoadedLuaScript> LoadAsync(IConnectionMultiplexer redis, System.Net.EndPoint endPoint) =>
        await LuaScript.Prepare(Text).LoadAsync(redis.GetServer(endPoint));
}

/// <summary>The Redis to measure against.</summary>
internal sealed class BenchRedis : IAsyncDisposable
{
    private readonly Process? _process;
    private readonly DataFolder? _folder;

    private BenchRedis(string connectionString, string description, Process? process, DataFolder? folder)
    {
        ConnectionString = connectionString;
        Description = description;
        _process = process;
        _folder = folder;
        EndPoint = ConfigurationOptions.Parse(connectionString).EndPoints[0];
    }

    public string ConnectionString { get; }
    public string Description { get; }
    public System.Net.EndPoint EndPoint { get; }

    public static async Task<BenchRedis> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("FLEXWHERE_BENCH_REDIS") is { Length: > 0 } given)
        {
            return new BenchRedis(given, "from FLEXWHERE_BENCH_REDIS", null, null);
        }

        var folder = DataFolder.Create("bench-redis");
        var port = Ports.FreeLoopbackPort();
        var password = Recipes.NewPassword();
        var spec = Recipes.Redis(folder.Sub("data"), port, password);
        var process = Process.Start(new ProcessStartInfo(spec.Command, spec.Args)
        {
            WorkingDirectory = spec.WorkingDirectory,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var connectionString = Recipes.RedisConnectionString(port, password);
        for (var i = 0; i < 100; i++)
        {
            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync(connectionString);
                await probe.GetDatabase().PingAsync();
                break;
            }
            catch (RedisConnectionException) when (i < 99)
            {
                await Task.Delay(100);
            }
        }

        using var versionProcess = Process.Start(new ProcessStartInfo(spec.Command, ["--version"]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var version = (await versionProcess.StandardOutput.ReadToEndAsync()).Trim();
        return new BenchRedis(connectionString, $"private redis-server on 127.0.0.1:{port} (no persistence) {version}".Trim(), process, folder);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _folder?.Delete();
    }
}
