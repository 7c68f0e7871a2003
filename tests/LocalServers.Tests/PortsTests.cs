using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FlexWhere.LocalServers.Tests;

public class PortsTests
{
    [Fact]
    public void A_picked_port_lies_outside_the_kernels_ephemeral_range_and_can_be_bound()
    {
        var (ephemeralLow, ephemeralHigh) = Ports.EphemeralRange();

        var port = Ports.FreeLoopbackPort();

        Assert.False(port >= ephemeralLow && port <= ephemeralHigh, $"{port} is in the ephemeral range {ephemeralLow}-{ephemeralHigh}");
        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
    }

    [Fact]
    public void One_process_never_gets_the_same_port_twice()
    {
        var ports = Enumerable.Range(0, 200).AsParallel().Select(_ => Ports.FreeLoopbackPort()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    [Fact]
    public void A_port_in_use_by_a_listener_is_not_picked()
    {
        var (low, high) = Ports.PickRange(Ports.EphemeralRange());
        // Occupy a slice of the range; none of the picks may land on it.
        var listeners = new List<TcpListener>();
        try
        {
            for (var port = low; port < low + 200 && port <= high; port++)
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                try
                {
                    listener.Start();
                    listeners.Add(listener);
                }
                catch (SocketException)
                {
                    // Taken already: just as good for this test.
                }
            }

            var occupied = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToHashSet();
            var picks = Enumerable.Range(0, 500).Select(_ => Ports.FreeLoopbackPort());
            Assert.DoesNotContain(picks, occupied.Contains);
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    [Fact]
    public async Task Another_process_cannot_take_the_reservation_of_a_picked_port()
    {
        var port = Ports.FreeLoopbackPort();
        var lockFile = Path.Combine(Ports.LockDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // flock(1) from util-linux takes the same kind of lock another test process would.
        using var flock = Process.Start(new ProcessStartInfo("flock", ["--nonblock", "--conflict-exit-code", "7", lockFile, "true"])
        {
            UseShellExecute = false,
        })!;
        await flock.WaitForExitAsync();

        Assert.Equal(7, flock.ExitCode);
    }

    [Theory]
    [InlineData(32768, 60999, 10000, 32767)] // Linux's default: below the range
    [InlineData(1024, 60999, 61000, 65535)] // a range that starts low: above it
    [InlineData(1024, 65535, 1024, 65535)] // no room on either side: anything
    public void The_range_is_picked_beside_the_ephemeral_one(int ephemeralLow, int ephemeralHigh, int low, int high)
    {
        Assert.Equal((low, high), Ports.PickRange((ephemeralLow, ephemeralHigh)));
    }
}
