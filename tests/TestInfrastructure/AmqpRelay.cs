using System.Net;
using System.Net.Sockets;

namespace FlexWhere.Testing;

/// <summary>
/// A TCP relay on loopback between AMQP clients and a RabbitMQ node that can cut its connections
/// (<see cref="DropConnections"/>) and refuse new ones (<see cref="RefuseConnections"/>), as a broker that is gone does,
/// without stopping a broker other tests share.
/// </summary>
public sealed class AmqpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _broker;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private readonly HashSet<Socket> _open = [];
    private volatile bool _refusing;
    private readonly Task _accepting;

    private AmqpRelay(string brokerConnectionString)
    {
        var broker = new Uri(brokerConnectionString);
        _broker = new IPEndPoint(IPAddress.Parse(broker.Host), broker.Port);
        _listener.Start();
        ConnectionString = new UriBuilder(broker) { Port = ((IPEndPoint)_listener.LocalEndpoint).Port }.Uri.ToString();
        _accepting = AcceptAsync();
    }

    /// <summary>The broker's connection string with the relay's port: clients given it talk to the broker through the relay.</summary>
    public string ConnectionString { get; }

    /// <summary>Relays to the broker of <paramref name="brokerConnectionString"/> (an <c>amqp://</c> URI with an IP host).</summary>
    public static AmqpRelay Start(string brokerConnectionString) => new(brokerConnectionString);

    /// <summary>Closes every connection through the relay, on both sides; clients may connect again.</summary>
    public void DropConnections()
    {
        lock (_open)
        {
            foreach (var socket in _open) socket.Dispose();
            _open.Clear();
        }
    }

    /// <summary>While true, a new connection is closed as soon as it is accepted, as a broker that is down refuses it.</summary>
    public void RefuseConnections(bool refuse) => _refusing = refuse;

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception stopped) when (stopped is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_refusing)
            {
                client.Dispose();
                continue;
            }

            lock (_connections) _connections.Add(RelayAsync(client));
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var _ = client;
        using var broker = new Socket(SocketType.Stream, ProtocolType.Tcp);
        lock (_open)
        {
            _open.Add(client);
            _open.Add(broker);
        }

        try
        {
            await broker.ConnectAsync(_broker, _stopping.Token);
            // Whichever side closes first ends the connection for both.
            await Task.WhenAny(PumpAsync(client, broker), PumpAsync(broker, client));
        }
        catch (Exception gone) when (gone is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(client);
                _open.Remove(broker);
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
                if (read == 0) break;
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stopping.Token);
            }
        }
        catch (Exception gone) when (gone is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            try
            {
                to.Shutdown(SocketShutdown.Both);
            }
            catch (Exception gone) when (gone is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting;
        DropConnections();
        Task[] connections;
        lock (_connections) connections = [.. _connections];
        await Task.WhenAll(connections);
        _stopping.Dispose();
    }
}
