using FlexWhere.LocalServers;
using StackExchange.Redis;
using Testcontainers.Redis;

namespace FlexWhere.Testing;

/// <summary>A real Redis server; on a shared one, a database number of the fixture's own.</summary>
public class RedisServer : RealServer
{
    public const string Variable = "FLEXWHERE_TEST_REDIS";

    /// <summary>Redis's default number of databases; 0 holds the counter that hands out the others.</summary>
    private const int Databases = 16;

    protected override string EnvironmentVariable => Variable;
    protected override string DebianPackage => "redis-server";
    protected override string Name => "redis";

    protected override async Task<string> ShareAsync(string shared, List<IAsyncDisposable> owned)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{shared},allowAdmin=true");
        var taken = await redis.GetDatabase(0).StringIncrementAsync("flexwhere-tests:databases-taken");
        var database = (int)(1 + (taken - 1) % (Databases - 1));
        // A number handed out again (after 15 fixtures on one server) starts empty all the same.
        await redis.GetServer(redis.GetEndPoints()[0]).FlushDatabaseAsync(database);
        return $"{shared},defaultDatabase={database}";
    }

    protected override async Task<string> StartContainerAsync(List<IAsyncDisposable> owned)
    {
        var container = new RedisBuilder("redis:7").Build();
        owned.Add(container);
        await container.StartAsync();
        return container.GetConnectionString();
    }

    protected override async Task<string> StartLocalAsync(DataFolder folder, List<IAsyncDisposable> owned)
    {
        var password = Recipes.NewPassword();
        var port = Ports.FreeLoopbackPort();
        var process = StartProcess(Recipes.Redis(folder.Sub("data"), port, password), folder, "redis", owned);
        var connectionString = Recipes.RedisConnectionString(port, password);
        await process.WaitUntilReadyAsync("Redis", async _ =>
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString);
            await redis.GetDatabase().PingAsync();
            return true;
        }, StartTimeout);
        return connectionString;
    }
}
