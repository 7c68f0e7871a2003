using FlexWhere.LocalServers;
using StackExchange.Redis;
using Testcontainers.Redis;

namespace FlexWhere.Testing;

/// <summary>A real Redis server.</summary>
public sealed class RedisServer : RealServer
{
    public const string Variable = "FLEXWHERE_TEST_REDIS";

    protected override string EnvironmentVariable => Variable;
    protected override string DebianPackage => "redis-server";
    protected override string Name => "redis";

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
