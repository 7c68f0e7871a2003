using System.Diagnostics;
using System.Globalization;
using FlexWhere.LocalServers;
using Npgsql;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace FlexWhere.Bench;

/// <summary>A process the bench started (a server or a service); its output goes to a log file.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, Process> Running = new();
    private readonly Process _process;

    /// <summary>Ctrl+C or SIGTERM to the bench: stop every server and service it started, so none
    /// outlives it (the awaited disposals would not run).</summary>
    public static void TerminateAll()
    {
        foreach (var pid in Running.Keys) Posix.Terminate(pid);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        foreach (var process in Running.Values)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !process.WaitForExit(left)) process.Kill(entireProcessTree: true);
        }
    }

    private ChildProcess(string name, Process process, string logFile)
    {
        Name = name;
        _process = process;
        LogFile = logFile;
    }

    public string Name { get; }
    public string LogFile { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    public static ChildProcess Start(string name, string command, IEnumerable<string> args,
        IEnumerable<KeyValuePair<string, string>> environment, string workingDirectory, string logDirectory)
    {
        var startInfo = new ProcessStartInfo(command, args)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment) startInfo.Environment[key] = value;
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {command}.");
        var logFile = Path.Combine(logDirectory, $"{name}.log");
        var log = new StreamWriter(logFile) { AutoFlush = true };
        var gate = new object();
        void Write(string? line)
        {
            if (line is null) return;
            lock (gate) log.WriteLine(line);
        }

        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Running[process.Id] = process;
        return new ChildProcess(name, process, logFile);
    }

    /// <summary>Resident memory of the process (and its children: the AppHost's services are separate processes, not these).</summary>
    public long RssBytes => Memory.RssBytes(_process.Id);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // SIGTERM first, so servers and the AppHost clean up after themselves.
                Posix.Terminate(_process.Id);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await _process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        Running.TryRemove(_process.Id, out _);
        _process.Dispose();
    }
}

internal static class Posix
{
    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    public static void Terminate(int pid) => _ = kill(pid, 15);
}

public static class Memory
{
    /// <summary>VmRSS from /proc, in bytes; 0 when the process is gone.</summary>
    public static long RssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}

/// <summary>PostgreSQL, Redis and RabbitMQ from Debian's packages, private, on free loopback ports.</summary>
public sealed class Servers : IAsyncDisposable
{
    private readonly List<ChildProcess> _processes = [];
    private readonly DataFolder _folder;

    private Servers(DataFolder folder, string logDirectory)
    {
        _folder = folder;
        LogDirectory = logDirectory;
    }

    public string LogDirectory { get; }
    public string RedisConnectionString { get; private set; } = "";
    public string RabbitMqConnectionString { get; private set; } = "";
    public string? PostgresConnectionString { get; private set; }

    public static async Task<Servers> StartAsync(bool withPostgres, string logDirectory)
    {
        var folder = DataFolder.Create("bench");
        var servers = new Servers(folder, logDirectory);
        try
        {
            await servers.StartRedisAsync();
            var rabbit = servers.StartRabbitMqAsync();
            if (withPostgres) await servers.StartPostgresAsync();
            await rabbit;
            return servers;
        }
        catch
        {
            await servers.DisposeAsync();
            throw;
        }
    }

    private async Task StartRedisAsync()
    {
        var port = Ports.FreeLoopbackPort();
        var password = Recipes.NewPassword();
        var spec = Recipes.Redis(_folder.Sub("redis"), port, password);
        _processes.Add(ChildProcess.Start("redis", spec.Command, spec.Args, spec.Environment, spec.WorkingDirectory, LogDirectory));
        RedisConnectionString = Recipes.RedisConnectionString(port, password);
        await Wait.UntilAsync("Redis", TimeSpan.FromSeconds(20), async () =>
        {
            await using var probe = await ConnectionMultiplexer.ConnectAsync(RedisConnectionString + ",connectTimeout=500");
            await probe.GetDatabase().PingAsync();
        });
    }

    private async Task StartRabbitMqAsync()
    {
        var epmdPort = Ports.FreeLoopbackPort();
        var nodePort = Ports.FreeLoopbackPort();
        var distPort = Ports.FreeLoopbackPort();
        var password = Recipes.NewPassword();
        var baseDirectory = _folder.Sub("rabbitmq");
        var epmd = Recipes.Epmd(epmdPort, baseDirectory);
        _processes.Add(ChildProcess.Start("epmd", epmd.Command, epmd.Args, epmd.Environment, epmd.WorkingDirectory, LogDirectory));
        var spec = Recipes.RabbitMq(baseDirectory, nodePort, distPort, epmdPort, password, logToStdout: true);
        _processes.Add(ChildProcess.Start("rabbitmq", spec.Command, spec.Args, spec.Environment, spec.WorkingDirectory, LogDirectory));
        RabbitMqConnectionString = Recipes.RabbitMqConnectionString(nodePort, password);
        await Wait.UntilAsync("RabbitMQ", TimeSpan.FromSeconds(90), async () =>
        {
            var factory = new ConnectionFactory { Uri = new Uri(RabbitMqConnectionString) };
            await using var connection = await factory.CreateConnectionAsync();
        });
    }

    private async Task StartPostgresAsync()
    {
        var port = Ports.FreeLoopbackPort();
        var password = Recipes.NewPassword();
        var data = _folder.Sub("postgres");
        await Recipes.InitPostgresAsync(data, password);
        var spec = Recipes.Postgres(data, port);
        _processes.Add(ChildProcess.Start("postgres", spec.Command, spec.Args, spec.Environment, spec.WorkingDirectory, LogDirectory));
        var admin = Recipes.PostgresConnectionString(port, password);
        await Wait.UntilAsync("PostgreSQL", TimeSpan.FromSeconds(30), async () =>
        {
            await using var connection = new NpgsqlConnection(admin + ";Timeout=2");
            await connection.OpenAsync();
        });
        PostgresConnectionString = Recipes.PostgresConnectionString(port, password, "accountsdb");
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _processes.Count - 1; i >= 0; i--) await _processes[i].DisposeAsync();
        ServerProcesses.WaitUntilNoneUse(_folder.Path, TimeSpan.FromSeconds(10));
        _folder.Delete();
    }
}

public static class Wait
{
    public static async Task UntilAsync(string what, TimeSpan timeout, Func<Task> probe)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await probe();
                return;
            }
            catch (Exception) when (clock.Elapsed < timeout)
            {
                await Task.Delay(200);
            }
            catch (Exception exception)
            {
                throw new TimeoutException($"{what} was not ready after {timeout.TotalSeconds:N0} s: {exception.Message}", exception);
            }
        }
    }

    public static Task HttpOkAsync(string what, HttpClient client, string url, TimeSpan timeout) =>
        UntilAsync(what, timeout, async () =>
        {
            using var response = await client.GetAsync(url);
            if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{url} answered {(int)response.StatusCode}");
        });
}
