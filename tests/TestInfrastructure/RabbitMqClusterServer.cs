using System.Diagnostics;
using FlexWhere.LocalServers;
using RabbitMQ.Client;

namespace FlexWhere.Testing;

/// <summary>
/// A RabbitMQ cluster of its own: three local rabbitmq-server nodes on loopback ports, one port mapper and one
/// Erlang cookie. The first node starts on its own; once it answers, the other two find it by classic peer discovery and
/// join it.
/// Never shared and never a container, as a test may kill one of its nodes. <see cref="RealServer.ConnectionString"/>
/// names every node (<c>amqp://user:password@127.0.0.1:a,127.0.0.1:b,127.0.0.1:c</c>), as a service is configured.
/// </summary>
public sealed class RabbitMqClusterServer : RealServer
{
    public const int NodeCount = 3;

    private readonly List<(int Port, LocalServerProcess Process)> _nodes = [];
    private string _password = "";
    private string _cliHome = "";
    private int _epmdPort;

    protected override string EnvironmentVariable => RabbitMqServer.Variable;
    protected override string DebianPackage => "rabbitmq-server";
    protected override string Name => "rabbitmq-cluster";
    protected override bool MayShare => false;
    protected override bool MayUseContainer => false;

    protected override Task<string> StartContainerAsync(List<IAsyncDisposable> owned) =>
        throw new InvalidOperationException("A RabbitMQ cluster is started from Debian's rabbitmq-server only.");

    protected override async Task<string> StartLocalAsync(DataFolder folder, List<IAsyncDisposable> owned)
    {
        _epmdPort = await RabbitMqServer.StartPortMapperAsync(folder, owned);
        _password = Recipes.NewPassword();
        var cookie = Recipes.NewErlangCookie();
        var ports = Enumerable.Range(0, NodeCount).Select(_ => Ports.FreeLoopbackPort()).ToArray();
        // The first boots alone and forms the cluster; once it answers, the other two boot at once, find it (looking every
        // half second, for up to two minutes) and join it. All three booting at once was a race: a clean-clone run on
        // 2026-11-30 saw a node stop at start with schema_integrity_check_failed (table_attributes_mismatch on
        // rabbit_user and rabbit_vhost), its tables copied from a first node that was still enabling its feature flags.
        string[] joinFirst =
        [
            "cluster_formation.peer_discovery_backend = classic_config",
            $"cluster_formation.classic_config.nodes.1 = {Recipes.RabbitMqNodeName(ports[0])}",
            "cluster_formation.discovery_retry_limit = 240",
            "cluster_formation.discovery_retry_interval = 500",
        ];
        foreach (var port in ports)
        {
            var baseDirectory = folder.Sub($"node-{port}");
            var spec = Recipes.RabbitMq(baseDirectory, port, Ports.FreeLoopbackPort(), _epmdPort, _password, logToStdout: true,
                port == ports[0] ? null : joinFirst, cookie);
            _cliHome = Recipes.RabbitMqHome(baseDirectory);
            _nodes.Add((port, StartProcess(spec, folder, $"rabbitmq-{port}", owned)));
            if (port == ports[0]) await WaitUntilAnswersAsync(_nodes[0]);
        }

        foreach (var node in _nodes.Skip(1)) await WaitUntilAnswersAsync(node);

        var members = await CtlAsync(ports[0], "cluster_status", "--formatter", "json");
        foreach (var port in ports)
        {
            if (!members.Contains(Recipes.RabbitMqNodeName(port)))
            {
                throw new InvalidOperationException($"Node {port} did not join the cluster: {members}");
            }
        }

        await _nodes[0].Process.WaitUntilReadyAsync("RabbitMQ cluster (a quorum queue on its three nodes)",
            _ => HoldsAQuorumQueueAsync(ports[0]), StartTimeout);
        return $"amqp://{Recipes.RabbitMqUser}:{_password}@" + string.Join(',', ports.Select(port => $"127.0.0.1:{port}"));
    }

    private Task WaitUntilAnswersAsync((int Port, LocalServerProcess Process) node) =>
        node.Process.WaitUntilReadyAsync("RabbitMQ cluster node", async cancellationToken =>
        {
            var factory = new ConnectionFactory { Uri = NodeUri(node.Port) };
            await using var connection = await factory.CreateConnectionAsync(cancellationToken);
            return connection.IsOpen;
        }, StartTimeout);

    /// <summary>Whether the cluster can declare (and delete) a quorum queue with a member on every node (a failure throws, and
    /// the caller asks again). Just after it forms, on busy cores, a declaration can time out: a clean-clone run on 2026-11-30
    /// saw R1's first one fail so.</summary>
    private async Task<bool> HoldsAQuorumQueueAsync(int port)
    {
        await using var connection = await new ConnectionFactory { Uri = NodeUri(port) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var probe = $"flexwhere-cluster-probe-{Guid.NewGuid():N}";
        await channel.QueueDeclareAsync(probe, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        await channel.QueueDeleteAsync(probe);
        return true;
    }

    /// <summary>The nodes' AMQP ports, in the order of the connection string.</summary>
    public IReadOnlyList<int> NodePorts => _nodes.Select(node => node.Port).ToList();

    /// <summary>One node's own URI (for a plain RabbitMQ.Client connection).</summary>
    public Uri NodeUri(int port) => new(Recipes.RabbitMqConnectionString(port, _password));

    /// <summary>The ports of the nodes that have not been killed.</summary>
    public IReadOnlyList<int> LivePorts => _nodes.Where(node => !node.Process.HasExited).Select(node => node.Port).ToList();

    /// <summary>The URI of a node that has not been killed.</summary>
    public Uri LiveNodeUri => NodeUri(_nodes.First(node => !node.Process.HasExited).Port);

    /// <summary>The console output of the node on <paramref name="port"/>.</summary>
    public string LogPath(int port) => _nodes.Single(node => node.Port == port).Process.LogPath;

    /// <summary>The port of the node that holds <paramref name="queue"/> (asked of a live node): a quorum queue's
    /// leader, or the one node of a classic queue.</summary>
    public async Task<int> LeaderPortAsync(string queue)
    {
        var live = _nodes.First(node => !node.Process.HasExited).Port;
        var lines = await CtlAsync(live, "list_queues", "--no-table-headers", "--quiet", "name", "leader", "pid");
        foreach (var fields in lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t', 2)))
        {
            if (fields.Length < 2 || fields[0] != queue) continue;
            // "leader" names a quorum queue's node; a classic queue has none, and its process id carries its node.
            foreach (var (port, _) in _nodes)
            {
                if (fields[1].Contains(Recipes.RabbitMqNodeName(port), StringComparison.Ordinal)) return port;
            }
        }

        throw new InvalidOperationException($"The cluster has no queue {queue} on a node of its own: {lines}");
    }

    /// <summary>Each queue's type, process (a classic queue's names its node), leader, members, members online and ready
    /// messages, then every binding, as a live node sees them: the record a failed run keeps.</summary>
    public async Task<string> DescribeQueuesAsync()
    {
        var live = _nodes.First(node => !node.Process.HasExited).Port;
        var queues = await CtlAsync(live, "list_queues", "name", "type", "pid", "leader", "members", "online", "messages");
        var bindings = await CtlAsync(live, "list_bindings", "source_name", "destination_name", "destination_kind");
        return $"{queues}\n\n{bindings}";
    }

    /// <summary>Kills the node on <paramref name="port"/> as a crash would (SIGKILL).</summary>
    public void Kill(int port) => _nodes.Single(node => node.Port == port).Process.Kill();

    /// <summary>Runs rabbitmqctl against one node, with the cluster's cookie and port mapper; returns its output.</summary>
    private async Task<string> CtlAsync(int port, params string[] args)
    {
        var ctl = DebianServers.RabbitMqCtl ?? throw new InvalidOperationException(DebianServers.InstallHint);
        var start = new ProcessStartInfo(ctl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["-n", Recipes.RabbitMqNodeName(port), .. args]) start.ArgumentList.Add(arg);
        start.Environment["HOME"] = _cliHome;
        start.Environment["ERL_EPMD_PORT"] = _epmdPort.ToString();
        start.Environment["ERL_EPMD_ADDRESS"] = "127.0.0.1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} failed: {await error}{await output}");
        }

        return (await output).Trim();
    }
}
