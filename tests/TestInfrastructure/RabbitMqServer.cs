using FlexWhere.LocalServers;
using RabbitMQ.Client;
using Testcontainers.RabbitMq;

namespace FlexWhere.Testing;

/// <summary>A real RabbitMQ broker; the connection string is an amqp:// URI.</summary>
public sealed class RabbitMqServer : RealServer
{
    public const string Variable = "FLEXWHERE_TEST_RABBITMQ";

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
        var broker = StartProcess(spec, folder, "rabbitmq", owned);
        var connectionString = Recipes.RabbitMqConnectionString(port, password);
        await broker.WaitUntilReadyAsync("RabbitMQ", async cancellationToken =>
        {
            var factory = new ConnectionFactory { Uri = new Uri(connectionString) };
            await using var connection = await factory.CreateConnectionAsync(cancellationToken);
            return connection.IsOpen;
        }, StartTimeout);
        return connectionString;
    }
}
