using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace FlexWhere.Testing;

/// <summary>
/// A TCP relay on loopback between AMQP clients and a RabbitMQ node that can cut its connections
/// (<see cref="DropConnections"/>) and refuse new ones (<see cref="RefuseConnections"/>), as a broker that is gone does, and
/// make a connection that stops answering once a channel is opened on it (<see cref="HoldRepliesAfterNextChannelOpen"/>),
/// or leave new ones unanswered (<see cref="SilenceNewConnections"/>), without stopping a broker other tests share.
/// </summary>
public sealed class AmqpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _broker;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private readonly HashSet<Socket> _open = [];
    private volatile bool _refusing;
    private long _armedHoldTicks;
    private long _everyHoldTicks;
    private long _silenceTicks;
    private int _holdsBegun;
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

    /// <summary>How many holds have begun: a test checks that the broker went silent where it meant it to.</summary>
    public int HoldsBegun => Volatile.Read(ref _holdsBegun);

    /// <summary>Once a client next opens a channel through the relay, that connection gets nothing more from the broker (the open's
    /// reply included) for <paramref name="hold"/>; then what was held goes through in order. The connection's handshake is not
    /// held, so the client is connected to a broker that has stopped answering. One hold per call.</summary>
    public void HoldRepliesAfterNextChannelOpen(TimeSpan hold) => Interlocked.Exchange(ref _armedHoldTicks, hold.Ticks);

    /// <summary>As <see cref="HoldRepliesAfterNextChannelOpen"/>, on every connection, new ones too, until called with
    /// <see cref="TimeSpan.Zero"/> (what is held already stays held: <see cref="DropConnections"/> ends it).</summary>
    public void HoldRepliesAfterEveryChannelOpen(TimeSpan hold) => Interlocked.Exchange(ref _everyHoldTicks, hold.Ticks);

    /// <summary>While true, a new connection is closed as soon as it is accepted, as a broker that is down refuses it.</summary>
    public void RefuseConnections(bool refuse) => _refusing = refuse;

    /// <summary>While set, a new connection gets no answer for <paramref name="silence"/> and is then closed, as a host that is
    /// gone from the network does (only the client's own timeouts end its wait); <see cref="TimeSpan.Zero"/> relays again.</summary>
    public void SilenceNewConnections(TimeSpan silence) => Interlocked.Exchange(ref _silenceTicks, silence.Ticks);

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

            if (Interlocked.Read(ref _silenceTicks) is > 0 and var silence)
            {
                lock (_connections) _connections.Add(CloseAfterAsync(client, TimeSpan.FromTicks(silence)));
                continue;
            }

            lock (_connections) _connections.Add(RelayAsync(client));
        }
    }

    private async Task CloseAfterAsync(Socket client, TimeSpan silence)
    {
        using var _ = client;
        try
        {
            await Task.Delay(silence, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
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
            var heldUntil = new HeldUntil();
            var watcher = new ChannelOpenWatcher(() =>
            {
                var hold = Interlocked.Exchange(ref _armedHoldTicks, 0);
                if (hold == 0) hold = Interlocked.Read(ref _everyHoldTicks);
                if (hold == 0) return;
                heldUntil.Set(DateTimeOffset.UtcNow.AddTicks(hold));
                Interlocked.Increment(ref _holdsBegun);
            });
            // Whichever side closes first ends the connection for both.
            await Task.WhenAny(PumpAsync(client, broker, watcher, null), PumpAsync(broker, client, null, heldUntil));
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

    private async Task PumpAsync(Socket from, Socket to, ChannelOpenWatcher? watcher, HeldUntil? heldUntil)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
                if (read == 0) break;
                // The hold begins before the open is passed on, so the broker's reply to it is always held.
                watcher?.Observe(buffer.AsSpan(0, read));
                if (heldUntil?.Remaining() is { } wait) await Task.Delay(wait, _stopping.Token);
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

    private sealed class HeldUntil
    {
        private long _untilTicks;

        public void Set(DateTimeOffset until) => Interlocked.Exchange(ref _untilTicks, until.UtcTicks);

        public TimeSpan? Remaining()
        {
            var left = Interlocked.Read(ref _untilTicks) - DateTimeOffset.UtcNow.UtcTicks;
            return left > 0 ? TimeSpan.FromTicks(left) : null;
        }
    }

    /// <summary>Reads the frames a client sends (AMQP 0-9-1: the protocol header, then frames of type, channel, size, payload and
    /// an end octet) and calls back when one is a <c>channel.open</c> (a method frame of class 20, method 10).</summary>
    private sealed class ChannelOpenWatcher(Action onChannelOpen)
    {
        private const int FrameHeaderLength = 7;
        private const byte MethodFrame = 1;
        private readonly byte[] _head = new byte[FrameHeaderLength + 4];
        private int _protocolHeaderLeft = 8;
        private int _headLength;
        private long _skip;

        public void Observe(ReadOnlySpan<byte> data)
        {
            while (!data.IsEmpty)
            {
                if (_protocolHeaderLeft > 0)
                {
                    var header = Math.Min(_protocolHeaderLeft, data.Length);
                    _protocolHeaderLeft -= header;
                    data = data[header..];
                }
                else if (_skip > 0)
                {
                    var skipped = (int)Math.Min(_skip, data.Length);
                    _skip -= skipped;
                    data = data[skipped..];
                }
                else
                {
                    // A method frame's payload begins with its class and method; for the other frames the header is enough.
                    var wanted = _headLength >= 1 && _head[0] == MethodFrame ? _head.Length : FrameHeaderLength;
                    var taken = Math.Min(wanted - _headLength, data.Length);
                    data[..taken].CopyTo(_head.AsSpan(_headLength));
                    _headLength += taken;
                    data = data[taken..];
                    if (_headLength == wanted && (wanted == _head.Length || _head[0] != MethodFrame)) EndHead();
                }
            }
        }

        private void EndHead()
        {
            var size = BinaryPrimitives.ReadUInt32BigEndian(_head.AsSpan(3));
            if (_head[0] == MethodFrame && BinaryPrimitives.ReadUInt16BigEndian(_head.AsSpan(FrameHeaderLength)) == 20
                && BinaryPrimitives.ReadUInt16BigEndian(_head.AsSpan(FrameHeaderLength + 2)) == 10)
            {
                onChannelOpen();
            }

            // The rest of the payload, and the frame's end octet.
            _skip = size + 1 - (_headLength - FrameHeaderLength);
            _headLength = 0;
        }
    }
}
