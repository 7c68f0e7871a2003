using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FlexWhere.LocalServers;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Testcontainers.RabbitMq;

namespace FlexWhere.Testing;

/// <summary>A real RabbitMQ broker; the connection string is an amqp:// URI. On a shared broker that
/// has them (<see cref="VirtualHostsVariable"/>), each fixture gets a virtual host of its own.</summary>
public class RabbitMqServer : RealServer
{
    public const string Variable = "FLEXWHERE_TEST_RABBITMQ";

    /// <summary>How many virtual hosts test-0, test-1, … the shared broker was started with.</summary>
    public const string VirtualHostsVariable = "FLEXWHERE_TEST_RABBITMQ_VHOSTS";

    private ProcessSpec? _spec;
    private DataFolder? _folder;
    private List<IAsyncDisposable>? _owned;
    private LocalServerProcess? _broker;

    protected override string EnvironmentVariable => Variable;
    protected override string DebianPackage => "rabbitmq-server";
    protected override string Name => "rabbitmq";

    /// <summary>Virtual hosts test-0 … test-(n-1) a local broker is started with, for a run that shares it.</summary>
    public int VirtualHosts { get; init; }

    protected override async Task<string> ShareAsync(string shared, List<IAsyncDisposable> owned)
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(VirtualHostsVariable), out var count) || count <= 0) return shared;
        // A virtual host is taken while an exclusive queue named after it lives: the queue belongs to
        // this fixture's connection, so the broker frees the host when the fixture (or its process) ends.
        var claim = await new ConnectionFactory { Uri = new Uri(shared) }.CreateConnectionAsync();
        owned.Add(claim);
        for (var i = 0; i < count; i++)
        {
            await using var channel = await claim.CreateChannelAsync();
            try
            {
                await channel.QueueDeclareAsync($"flexwhere-tests-{VirtualHost(i)}", durable: false, exclusive: true, autoDelete: false);
                return new UriBuilder(shared) { Path = "/" + VirtualHost(i) }.Uri.AbsoluteUri;
            }
            catch (OperationInterruptedException taken) when (taken.ShutdownReason?.ReplyCode == 405)
            {
            }
        }

        throw new InvalidOperationException($"All {count} virtual hosts of the shared RabbitMQ are taken; raise {VirtualHostsVariable}.");
    }

    private static string VirtualHost(int index) => $"test-{index}";

    /// <summary>Definitions loaded at boot: the user (a broker that loads definitions makes no default
    /// user) with every permission on "/" and on each test virtual host.</summary>
    private string? WriteDefinitions(string folder, string password)
    {
        if (VirtualHosts <= 0) return null;
        var salt = RandomNumberGenerator.GetBytes(4);
        var hash = SHA256.HashData([.. salt, .. Encoding.UTF8.GetBytes(password)]);
        string[] hosts = ["/", .. Enumerable.Range(0, VirtualHosts).Select(VirtualHost)];
        var definitions = new
        {
            users = new[]
            {
                new
                {
                    name = Recipes.RabbitMqUser, password_hash = Convert.ToBase64String([.. salt, .. hash]),
                    hashing_algorithm = "rabbit_password_hashing_sha256", tags = "administrator",
                },
            },
            vhosts = hosts.Select(name => new { name }),
            permissions = hosts.Select(vhost => new { user = Recipes.RabbitMqUser, vhost, configure = ".*", write = ".*", read = ".*" }),
        };
        var path = Path.Combine(folder, "definitions.json");
        File.WriteAllText(path, JsonSerializer.Serialize(definitions));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    protected override async Task<string> StartContainerAsync(List<IAsyncDisposable> owned)
    {
        var container = new RabbitMqBuilder("rabbitmq:3.13").Build();
        owned.Add(container);
        await container.StartAsync();
        return container.GetConnectionString();
    }

    protected override async Task<string> StartLocalAsync(DataFolder folder, List<IAsyncDisposable> owned)
    {
        var epmdPort = await StartPortMapperAsync(folder, owned);
        var password = Recipes.NewPassword();
        var port = Ports.FreeLoopbackPort();
        var definitions = WriteDefinitions(folder.Path, password);
        var spec = Recipes.RabbitMq(folder.Sub("rabbitmq"), port, Ports.FreeLoopbackPort(), epmdPort, password, logToStdout: true,
            definitions is null ? null : [$"load_definitions = {definitions}"]);
        var connectionString = Recipes.RabbitMqConnectionString(port, password);
        (_spec, _folder, _owned) = (spec, folder, owned);
        await StartBrokerAsync(connectionString);
        return connectionString;
    }

    /// <summary>Starts a private Erlang port mapper for local brokers and returns its port once it answers.</summary>
    internal static async Task<int> StartPortMapperAsync(DataFolder folder, List<IAsyncDisposable> owned)
    {
        var epmdPort = Ports.FreeLoopbackPort();
        var epmd = StartProcess(Recipes.Epmd(epmdPort, folder.Path), folder, "epmd", owned);
        await epmd.WaitUntilReadyAsync("epmd", async cancellationToken =>
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync("127.0.0.1", epmdPort, cancellationToken);
            return true;
        }, StartTimeout);
        return epmdPort;
    }

    /// <summary>Stops the local broker (SIGTERM, as an operator's restart would); clients see their connections drop.</summary>
    public async Task StopAsync()
    {
        var broker = _broker ?? throw NotRestartable();
        _owned!.Remove(broker);
        _broker = null;
        await broker.DisposeAsync();
    }

    /// <summary>Starts the stopped local broker again on the same port, node name and data.</summary>
    public Task StartAsync() => _broker is not null ? throw new InvalidOperationException("The broker is running.")
        : StartBrokerAsync(ConnectionString);

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
        $"Use {nameof(OwnRabbitMqServer)} and run without a container engine, or on a machine with rabbitmq-server installed.");
}

/// <summary>A broker of the fixture's own even when the run shares one: for tests that stop and start it
/// (an outage), which would take the shared broker from every other assembly.</summary>
public sealed class OwnRabbitMqServer : RabbitMqServer
{
    protected override bool MayShare => false;
}
