using FlexWhere.LocalServers;
using RabbitMQ.Client;
using Testcontainers.RabbitMq;

namespace FlexWhere.Testing;

/// <summary>A real RabbitMQ broker; the connection string is an amqp:// URI. A local broker can be
/// stopped and started again on the same port with its data (durable queues and persistent
/// messages survive), to simulate an outage.</summary>
public sealed class RabbitMqServer : RealServer
{
    public const string Variable = "FLEXWHERE_TEST_RABBITMQ";

    private ProcessSpec? _spec;
    private DataFolder? _folder;
    private List<IAsyncDisposable>? _owned;
    private LocalServerProcess? _broker;

    protected override string EnvironmentVariable => Variable;
    protected override string DebianPackage => "rabbitmq-server";
    protected override string Name => "rabbitmq";

    protected override async Task<string> StartContainerAsync(List<IAsyncDisposable> owned)
    {
        var container = new RabbitMqBuilder("rabbitmq:3.13").Build();
        owned.Add(container);
        await container.StartAsync();
        return container.GetConnectionString();
    }

    protected override async Task<string> StartLocalAsync(DataFolder folder, List<IAsyncDisposable> owned)
    {
        var epmdPort = Ports.FreeLoopbackPort();
        var epmd = StartProcess(Recipes.Epmd(epmdPort, folder.Path), folder, "epmd", owned);
        await epmd.WaitUntilReadyAsync("epmd", async cancellationToken =>
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync("127.0.0.1", epmdPort, cancellationToken);
            return true;
        }, StartTimeout);

        var password = Recipes.NewPassword();
        var port = Ports.FreeLoopbackPort();
        var spec = Recipes.RabbitMq(folder.Sub("rabbitmq"), port, Ports.FreeLoopbackPort(), epmdPort, password, logToStdout: true);
        var connectionString = Recipes.RabbitMqConnectionString(port, password);
        (_spec, _folder, _owned) = (spec, folder, owned);
        await StartBrokerAsync(connectionString);
        return connectionString;
    }

    /// <summary>The running local broker's console output (null for a container).</summary>
    public string? BrokerLogPath => _broker?.LogPath;

    /// <summary>Stops the local broker (SIGTERM, as an operator's restart would); clients see their connections drop.</summary>
    public async Task StopAsync()
    {
        var broker = _broker ?? throw NotRestartable();
        _owned!.Remove(broker);
        _broker = null;
        await broker.DisposeAsync();
    }

    /// <summary>Starts the stopped local broker again on the same port, node name and data.</summary>
    public Task StartAsync() => _broker is not null ? throw new InvalidOperationException("The broker is running.") : StartBrokerAsync(ConnectionString);

    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    private async Task StartBrokerAsync(string connectionString)
    {
        if (_spec is null) throw NotRestartable();
        _broker = StartProcess(_spec, _folder!, $"rabbitmq-{DateTime.UtcNow:HHmmssfff}", _owned!);
        await _broker.WaitUntilReadyAsync("RabbitMQ", async cancellationToken =>
        {
            var factory = new ConnectionFactory { Uri = new Uri(connectionString) };
            await using var connection = await factory.CreateConnectionAsync(cancellationToken);
            return connection.IsOpen;
        }, StartTimeout);
    }

    private InvalidOperationException NotRestartable() => new(
        $"Only a local RabbitMQ (from Debian's packages) can be stopped and started by the tests; this one comes from {Source}. " +
        $"Unset {Variable} and run without a container engine, or run on a machine with rabbitmq-server installed.");
}
