using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace FlexWhere.LocalServers;

/// <summary>
/// Ports for the local servers and services, picked before the program that will listen on them
/// starts. Two things can take such a port in between (RabbitMQ then stops with
/// "dist_port_already_used"):
/// <list type="bullet">
/// <item>an outgoing connection: the kernel gives every one a local port from its ephemeral range,
/// so a port from that range (what binding port 0 returns) can be taken by any connection of any
/// process a moment later. Ports here come from outside that range.</item>
/// <item>another test process picking the same port: each pick is reserved for the lifetime of the
/// process by an exclusive lock on a file named after the port, which the next picker skips (the
/// lock goes when the process ends, however it ends).</item>
/// </list>
/// </summary>
public static class Ports
{
    /// <summary>The default ports of the servers this project runs, which a system-wide instance
    /// (a package's own service) may take at any time.</summary>
    private static readonly HashSet<int> Avoid = [15672, 25672];

    private static readonly ConcurrentDictionary<int, FileStream?> Reserved = new();

    private static readonly Lazy<(int Low, int High)> Range = new(() => PickRange(EphemeralRange()));

    /// <summary>The folder of the lock files, shared by every process of the machine.</summary>
    public static string LockDirectory { get; } = Path.Combine(Path.GetTempPath(), "flexwhere-ports");

    /// <summary>A TCP port free on loopback now, outside the ephemeral range and reserved for this process.</summary>
    public static int FreeLoopbackPort()
    {
        var (low, high) = Range.Value;
        CreateLockDirectory();
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var port = RandomNumberGenerator.GetInt32(low, high + 1);
            if (Avoid.Contains(port) || Reserved.ContainsKey(port)) continue;
            if (!TryReserve(port, out var reservation)) continue;
            if (IsFree(port) && Reserved.TryAdd(port, reservation)) return port;
            reservation?.Dispose();
        }

        throw new InvalidOperationException($"No free loopback port found in {low}-{high}.");
    }

    /// <summary>Everyone may add a lock file (the sticky bit keeps each user's own), whoever came first.</summary>
    private static void CreateLockDirectory()
    {
        var folder = Directory.CreateDirectory(LockDirectory);
        if (OperatingSystem.IsWindows()) return;
        const UnixFileMode shared = (UnixFileMode)0b1_111_111_111; // 1777, as /tmp itself
        if (folder.UnixFileMode == shared) return;
        try
        {
            folder.UnixFileMode = shared;
        }
        catch (UnauthorizedAccessException)
        {
            // Another user's folder: theirs to share.
        }
    }

    /// <summary>The ports below the ephemeral range down to 10000, or those above it when the range
    /// starts too low to leave a few thousand below it.</summary>
    public static (int Low, int High) PickRange((int Low, int High) ephemeral)
    {
        var (ephemeralLow, ephemeralHigh) = ephemeral;
        if (ephemeralLow - 10_000 >= 5_000) return (10_000, ephemeralLow - 1);
        if (65_535 - ephemeralHigh >= 2_000) return (ephemeralHigh + 1, 65_535);
        // No room on either side (an unusual kernel setting): any port, as before.
        return (1_024, 65_535);
    }

    /// <summary>The kernel's range for outgoing connections (Linux); Linux's default elsewhere.</summary>
    public static (int Low, int High) EphemeralRange()
    {
        const string path = "/proc/sys/net/ipv4/ip_local_port_range";
        try
        {
            var parts = File.ReadAllText(path).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception exception) when (exception
            is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return (32_768, 60_999);
        }
    }

    /// <summary>False when another holder has the port; true with no reservation when the lock folder
    /// cannot be written (then only the range and the bind check protect the pick).</summary>
    private static bool TryReserve(int port, out FileStream? reservation)
    {
        try
        {
            // FileShare.None is an exclusive advisory lock (flock) on Unix: a second open of the file
            // fails in this process and in any other until the holder closes it or ends.
            reservation = new FileStream(Path.Combine(LockDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            reservation = null;
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            reservation = null;
            return true;
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
