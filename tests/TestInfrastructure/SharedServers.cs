using System.Diagnostics;
using System.Runtime.InteropServices;
using FlexWhere.LocalServers;

namespace FlexWhere.Testing;

/// <summary>
/// ./test.sh's servers: one PostgreSQL, one Redis and one RabbitMQ (with virtual hosts to hand out) for
/// the whole run. Writes "export FLEXWHERE_TEST_…=…" lines to the file named by the first argument once
/// all three answer, then keeps them until SIGTERM, SIGINT or the end of the process named by the second
/// argument (the script), and stops them. The fixtures take their part of each (<see cref="RealServer"/>).
/// </summary>
public static class SharedServers
{
    /// <summary>Enough for every fixture of a run (about ten take one) with room to spare.</summary>
    private const int VirtualHosts = 32;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 2 || !int.TryParse(args[1], out var parentId))
        {
            Console.Error.WriteLine("usage: FlexWhere.Testing <environment file to write> <process id to outlive>");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        var postgres = new PostgresServer();
        var redis = new RedisServer();
        var rabbitMq = new RabbitMqServer { VirtualHosts = VirtualHosts };
        RealServer[] servers = [postgres, redis, rabbitMq];
        var clock = Stopwatch.StartNew();
        try
        {
            await Task.WhenAll(servers.Select(server => server.StartOwnAsync()));
            var lines = new List<string>
            {
                Export(PostgresServer.Variable, postgres.ConnectionString),
                Export(RedisServer.Variable, redis.ConnectionString),
            };
            // A container broker has only "/": its fixtures then start brokers of their own, as without this.
            if (rabbitMq.Source == ServerSource.Local)
            {
                lines.Add(Export(RabbitMqServer.Variable, rabbitMq.ConnectionString));
                lines.Add(Export(RabbitMqServer.VirtualHostsVariable, VirtualHosts.ToString()));
            }

            var partial = args[0] + ".partial";
            await File.WriteAllLinesAsync(partial, lines);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(partial, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(partial, args[0], overwrite: true);
            Console.WriteLine($"shared servers: PostgreSQL, Redis and RabbitMQ up in {clock.Elapsed.TotalSeconds:0} s.");
            while (!stop.IsCancellationRequested && DataFolder.IsAlive(parentId))
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return 0;
        }
        catch (Exception failure)
        {
            Console.Error.WriteLine($"shared servers: {failure.Message}");
            return 1;
        }
        finally
        {
            foreach (var server in servers.Reverse()) await server.DisposeAsync();
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static string Export(string variable, string value) => $"export {variable}='{value.Replace("'", "'\\''")}'";
}
