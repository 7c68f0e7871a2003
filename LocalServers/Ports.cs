using System.Net;
using System.Net.Sockets;

namespace FlexWhere.LocalServers;

public static class Ports
{
    /// <summary>A TCP port free on loopback right now. The kernel hands out ephemeral ports in
    /// rotation, so a port just released is not offered again soon.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
