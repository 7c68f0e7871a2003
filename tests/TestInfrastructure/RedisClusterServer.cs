using System.Diagnostics;
using FlexWhere.LocalServers;

namespace FlexWhere.Testing;

/// <summary>
/// A Redis Cluster of its own: three primaries with a replica each, six local redis-server processes in
/// cluster mode on loopback ports. Never shared and never a container, as a test may kill one of its nodes.
/// A primary's failure is noticed after <see cref="NodeTimeout"/>, and its replica promoted soon after.
/// </summary>
public sealed class RedisClusterServer : RedisServer
{
    private const int Primaries = 3;

    public static readonly TimeSpan NodeTimeout = TimeSpan.FromMilliseconds(1000);

    private readonly Dictionary<int, LocalServerProcess> _nodes = [];
    private string _password = "";

    protected override string Name => "redis-cluster";
    protected override bool MayShare => false;
    protected override bool MayUseContainer => false;

    protected override Task<string> StartContainerAsync(List<IAsyncDisposable> owned) =>
        throw new InvalidOperationException("A Redis Cluster is started from Debian's redis-server only.");

    protected override async Task<string> StartLocalAsync(DataFolder folder, List<IAsyncDisposable> owned)
    {
        _password = Recipes.NewPassword();
        for (var i = 0; i < 2 * Primaries; i++)
        {
            var port = Ports.FreeLoopbackPort();
            var spec = Recipes.RedisClusterNode(folder.Sub($"node-{port}"), port, Ports.FreeLoopbackPort(), _password, NodeTimeout);
            _nodes[port] = StartProcess(spec, folder, $"redis-{port}", owned);
        }

        foreach (var (port, node) in _nodes)
        {
            await node.WaitUntilReadyAsync("Redis Cluster node", async _ => await CliAsync(port, "PING") == "PONG", StartTimeout);
        }

        string[] create = ["--cluster", "create", .. _nodes.Keys.Select(port => $"127.0.0.1:{port}"), "--cluster-replicas", "1",
            "--cluster-yes"];
        await CliAsync(null, create);
        await _nodes.First().Value.WaitUntilReadyAsync("Redis Cluster", async _ => await IsReadyAsync(), StartTimeout);
        return string.Join(',', _nodes.Keys.Select(port => $"127.0.0.1:{port}")) + $",password={_password}";
    }

    /// <summary>Every node says the cluster is ok, and every primary has its replica online: connected and through its
    /// first sync (until then, a failover would promote a replica without the primary's data).</summary>
    private async Task<bool> IsReadyAsync()
    {
        foreach (var port in _nodes.Keys)
        {
            if (!(await CliAsync(port, "CLUSTER", "INFO")).Contains("cluster_state:ok")) return false;
        }

        var primaries = await PrimaryPortsAsync();
        foreach (var port in primaries)
        {
            if ((await ReplicationOffsetsAsync(port)).Acknowledged is null) return false;
        }

        return primaries.Count == Primaries;
    }

    /// <summary>The ports of the primaries that are alive and hold slots.</summary>
    public async Task<List<int>> PrimaryPortsAsync()
    {
        var alive = _nodes.First(node => !node.Value.HasExited).Key;
        var nodes = await CliAsync(alive, "CLUSTER", "NODES");
        return nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .Where(fields => fields[2].Contains("master") && !fields[2].Contains("fail") && fields.Length > 8)
            .Select(fields => int.Parse(fields[1].Split('@')[0].Split(':')[1]))
            .ToList();
    }

    /// <summary>How many keys the node on <paramref name="port"/> holds.</summary>
    public async Task<long> KeyCountAsync(int port) => long.Parse(await CliAsync(port, "DBSIZE"));

    /// <summary>The primary on <paramref name="port"/>'s replication stream: how far it has written
    /// (<c>master_repl_offset</c>), and how far its replica has acknowledged (null without a replica online). A
    /// replica acknowledges about once a second.</summary>
    public async Task<(long Written, long? Acknowledged)> ReplicationOffsetsAsync(int port)
    {
        var info = (await CliAsync(port, "INFO", "replication")).Split('\n', StringSplitOptions.TrimEntries);
        var written = long.Parse(info.Single(line => line.StartsWith("master_repl_offset:", StringComparison.Ordinal)).Split(':')[1]);
        // slave0:ip=127.0.0.1,port=…,state=online,offset=…,lag=…
        var replica = info.FirstOrDefault(line => line.StartsWith("slave0:", StringComparison.Ordinal))?["slave0:".Length..]
            .Split(',').Select(pair => pair.Split('=')).ToDictionary(pair => pair[0], pair => pair[1]);
        return (written, replica is not null && replica["state"] == "online" ? long.Parse(replica["offset"]) : null);
    }

    /// <summary>Kills the node on <paramref name="port"/> as a crash would (SIGKILL): what it had not yet sent to its replica is lost.</summary>
    public void Kill(int port) => _nodes[port].Kill();

    /// <summary>Runs redis-cli against one node (or, with null, the command names its nodes); the password goes
    /// in the environment, not on the command line. Returns the trimmed output.</summary>
    private async Task<string> CliAsync(int? port, params string[] args)
    {
        var cli = DebianServers.RedisCli ?? throw new InvalidOperationException(DebianServers.InstallHint);
        var start = new ProcessStartInfo(cli)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (port is { } p) foreach (var arg in (string[])["-h", "127.0.0.1", "-p", p.ToString()]) start.ArgumentList.Add(arg);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["REDISCLI_AUTH"] = _password;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"redis-cli {string.Join(' ', args)} failed: {await error}{await output}");
        }

        return (await output).Trim();
    }
}
