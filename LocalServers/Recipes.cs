using System.Diagnostics;
using System.Security.Cryptography;

namespace FlexWhere.LocalServers;

/// <summary>
/// Private, throwaway PostgreSQL, Redis and RabbitMQ servers from Debian's packages, bound to
/// 127.0.0.1 with their data in a <see cref="DataFolder"/>. The commands follow shared/ENVIRONMENT.md.
/// </summary>
public static class Recipes
{
    public const string PostgresUser = "postgres";
    public const string RabbitMqUser = "flexwhere";

    private static bool IsRoot => Environment.UserName == "root";

    // ---- PostgreSQL ---------------------------------------------------------------------------

    /// <summary>Runs initdb into <paramref name="dataDirectory"/> with a password for the postgres role,
    /// unless it holds a cluster already: a server started again (after a stop) keeps its data.</summary>
    public static async Task InitPostgresAsync(string dataDirectory, string password, CancellationToken cancellationToken = default)
    {
        if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION"))) return;
        var bin = DebianServers.PostgresBinDirectory ?? throw new InvalidOperationException(DebianServers.InstallHint);
        Directory.CreateDirectory(dataDirectory);
        var passwordFile = Path.Combine(Path.GetDirectoryName(dataDirectory)!, $".pgpass-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        try
        {
            if (IsRoot)
            {
                // PostgreSQL refuses to run as root: the data folder and the password file belong to postgres.
                await RunAsync("chown", ["postgres:postgres", dataDirectory, passwordFile], cancellationToken);
            }

            var initdb = AsPostgresUser(Path.Combine(bin, "initdb"),
            [
                "-D", dataDirectory, "-U", PostgresUser, $"--pwfile={passwordFile}", "-A", "scram-sha-256",
                "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
            ]);
            await RunAsync(initdb.Command, initdb.Args, cancellationToken);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    /// <summary>PostgreSQL on loopback; <paramref name="moreSettings"/> (name=value) come after the
    /// defaults here and so win over them (a primary that waits for its standby sets synchronous_commit).</summary>
    public static ProcessSpec Postgres(string dataDirectory, int port, IReadOnlyList<string>? moreSettings = null)
    {
        var bin = DebianServers.PostgresBinDirectory ?? throw new InvalidOperationException(DebianServers.InstallHint);
        var (command, args) = AsPostgresUser(Path.Combine(bin, "postgres"),
        [
            "-D", dataDirectory, "-p", port.ToString(), "-k", dataDirectory,
            "-c", "listen_addresses=127.0.0.1",
            // Throwaway data: durability buys nothing here and costs seconds per test run.
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=200",
            .. (moreSettings ?? []).SelectMany(setting => new[] { "-c", setting }),
        ]);
        var (shell, shellArgs) = StopFastOnTerm(command, args);
        return new ProcessSpec(shell, shellArgs, new Dictionary<string, string>(), dataDirectory);
    }

    /// <summary>
    /// SIGTERM, the signal orchestrators and test fixtures stop a process with, is PostgreSQL's
    /// <i>smart</i> shutdown: it waits for every client to disconnect, and services keep pooled
    /// connections open, so the stop times out and ends in SIGKILL: the postmaster dies, its
    /// backends linger and clients read "unexpected postmaster exit". A small shell turns SIGTERM
    /// into SIGINT (fast shutdown: sessions are ended, the server stops cleanly within a second) and
    /// exits with postgres's own status.
    /// </summary>
    private static (string Command, IReadOnlyList<string> Args) StopFastOnTerm(string command, IReadOnlyList<string> args) =>
        ("/bin/sh",
        [
            "-c",
            """
            "$@" & server=$!
            trap 'kill -INT "$server" 2>/dev/null' TERM INT
            wait "$server"; status=$?
            while kill -0 "$server" 2>/dev/null; do wait "$server"; status=$?; done
            exit "$status"
            """,
            "postgres-fast-stop", command, .. args,
        ]);

    /// <summary>
    /// A hot standby of the server on <paramref name="primaryPort"/>: pg_basebackup copies its data into
    /// <paramref name="dataDirectory"/> and, with -R, leaves standby.signal and the primary_conninfo it
    /// streams from. The role needs REPLICATION; initdb's pg_hba.conf already lets replication in from
    /// 127.0.0.1 with a password.
    /// </summary>
    public static async Task BaseBackupPostgresAsync(int primaryPort, string role, string password, string dataDirectory,
        CancellationToken cancellationToken = default)
    {
        var bin = DebianServers.PostgresBinDirectory ?? throw new InvalidOperationException(DebianServers.InstallHint);
        Directory.CreateDirectory(dataDirectory);
        // PostgreSQL refuses a data folder others may enter.
        FileModes.Set(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (IsRoot) await RunAsync("chown", ["postgres:postgres", dataDirectory], cancellationToken);
        var backup = AsPostgresUser(Path.Combine(bin, "pg_basebackup"),
        [
            "-h", "127.0.0.1", "-p", primaryPort.ToString(), "-U", role, "-D", dataDirectory,
            "-R", "-X", "stream", "--checkpoint=fast", "--no-sync",
        ]);
        await RunAsync(backup.Command, backup.Args, cancellationToken, new Dictionary<string, string> { ["PGPASSWORD"] = password });
    }

    /// <summary>pg_ctl's immediate stop: the server quits at once without a shutdown checkpoint, as in a crash.</summary>
    public static async Task StopPostgresImmediatelyAsync(string dataDirectory, CancellationToken cancellationToken = default)
    {
        var bin = DebianServers.PostgresBinDirectory ?? throw new InvalidOperationException(DebianServers.InstallHint);
        var stop = AsPostgresUser(Path.Combine(bin, "pg_ctl"), ["stop", "-D", dataDirectory, "-m", "immediate", "-w"]);
        await RunAsync(stop.Command, stop.Args, cancellationToken);
    }

    public static string PostgresConnectionString(int port, string password, string? database = null) =>
        $"Host=127.0.0.1;Port={port};Username={PostgresUser};Password={password}" + (database is null ? "" : $";Database={database}");

    private static (string Command, IReadOnlyList<string> Args) AsPostgresUser(string executable, IReadOnlyList<string> args) =>
        IsRoot
            // setpriv execs in place, so the signals of StopFastOnTerm reach postgres itself.
            ? ("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", executable, .. args])
            : (executable, args);

    // ---- Redis --------------------------------------------------------------------------------

    /// <summary>Redis with no persistence; the password goes in a config file, not on the command line.
    /// <paramref name="moreConfig"/> are further redis.conf lines.</summary>
    public static ProcessSpec Redis(string dataDirectory, int port, string password, IReadOnlyList<string>? moreConfig = null)
    {
        var server = DebianServers.RedisServer ?? throw new InvalidOperationException(DebianServers.InstallHint);
        Directory.CreateDirectory(dataDirectory);
        var config = Path.Combine(dataDirectory, "redis.conf");
        File.WriteAllLines(config,
        [
            $"port {port}",
            "bind 127.0.0.1",
            "protected-mode yes",
            "daemonize no",
            "save \"\"",
            "appendonly no",
            $"dir {dataDirectory}",
            $"pidfile {Path.Combine(dataDirectory, "redis.pid")}",
            $"requirepass {password}",
            .. moreConfig ?? [],
        ]);
        FileModes.Set(config, FileModes.OwnerOnly);
        return new ProcessSpec(server, [config], new Dictionary<string, string>(), dataDirectory);
    }

    public static string RedisConnectionString(int port, string password) => $"127.0.0.1:{port},password={password}";

    /// <summary>One node of a Redis Cluster: its bus on <paramref name="busPort"/>, the password for its
    /// replication too, and a primary's failure noticed after <paramref name="nodeTimeout"/>. A replica
    /// is promoted however far behind it was: a test that kills a primary wants the failover, not a stall.</summary>
    public static ProcessSpec RedisClusterNode(string dataDirectory, int port, int busPort, string password, TimeSpan nodeTimeout) =>
        Redis(dataDirectory, port, password,
        [
            "cluster-enabled yes",
            $"cluster-port {busPort}",
            $"cluster-config-file {Path.Combine(dataDirectory, "nodes.conf")}",
            $"cluster-node-timeout {(long)nodeTimeout.TotalMilliseconds}",
            "cluster-replica-validity-factor 0",
            $"masterauth {password}",
        ]);

    // ---- RabbitMQ -----------------------------------------------------------------------------

    /// <summary>A private Erlang port mapper: without it rabbitmq (and any rabbitmqctl) would start a
    /// shared one on 4369 that outlives the run.</summary>
    public static ProcessSpec Epmd(int epmdPort, string workingDirectory)
    {
        var epmd = DebianServers.Epmd ?? throw new InvalidOperationException(DebianServers.InstallHint);
        return new ProcessSpec(epmd, ["-port", epmdPort.ToString(), "-address", "127.0.0.1"],
            new Dictionary<string, string>(), workingDirectory);
    }

    /// <summary>A single RabbitMQ node; <paramref name="logToStdout"/> sends its log to the console
    /// (the dashboard shows it) instead of a file in the data folder. <paramref name="moreConfig"/>
    /// are further rabbitmq.conf lines (the test run's shared broker loads its virtual hosts so).
    /// The nodes of one cluster share their port mapper and <paramref name="erlangCookie"/> (a new one by default).</summary>
    public static ProcessSpec RabbitMq(string baseDirectory, int nodePort, int distributionPort, int epmdPort, string password,
        bool logToStdout, IReadOnlyList<string>? moreConfig = null, string? erlangCookie = null)
    {
        var server = DebianServers.RabbitMqServer ?? throw new InvalidOperationException(DebianServers.InstallHint);
        var home = RabbitMqHome(baseDirectory);
        Directory.CreateDirectory(home);
        var cookie = Path.Combine(home, ".erlang.cookie");
        File.WriteAllText(cookie, erlangCookie ?? NewErlangCookie());
        FileModes.Set(cookie, UnixFileMode.UserRead);

        var configFile = Path.Combine(baseDirectory, "rabbitmq.conf");
        File.WriteAllLines(configFile,
        [
            $"default_user = {RabbitMqUser}",
            $"default_pass = {password}",
            "loopback_users = none",
            .. moreConfig ?? [],
        ]);
        FileModes.Set(configFile, FileModes.OwnerOnly);
        var pluginsFile = Path.Combine(baseDirectory, "enabled_plugins");
        File.WriteAllText(pluginsFile, "[].");
        var confEnvFile = Path.Combine(baseDirectory, "rabbitmq-env.conf");
        File.WriteAllText(confEnvFile, "");

        var environment = new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["RABBITMQ_NODENAME"] = RabbitMqNodeName(nodePort),
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = nodePort.ToString(),
            // The default (node port + 20000) can pass 65535.
            ["RABBITMQ_DIST_PORT"] = distributionPort.ToString(),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(baseDirectory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(baseDirectory, "log"),
            ["RABBITMQ_LOGS"] = logToStdout ? "-" : Path.Combine(baseDirectory, "log", "rabbit.log"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(baseDirectory, "rabbitmq.pid"),
            ["RABBITMQ_CONF_ENV_FILE"] = confEnvFile,
            ["RABBITMQ_CONFIG_FILE"] = configFile,
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = pluginsFile,
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1} -start_epmd false",
            ["ERL_EPMD_PORT"] = epmdPort.ToString(),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            // Makes the start script exec the Erlang VM, so a stop signal reaches the broker itself.
            ["RUNNING_UNDER_SYSTEMD"] = "true",
        };
        return new ProcessSpec(server, [], environment, baseDirectory);
    }

    /// <summary>The Erlang node name of the local RabbitMQ node listening on <paramref name="nodePort"/>.</summary>
    public static string RabbitMqNodeName(int nodePort) => $"flexwhere-{nodePort}@localhost";

    /// <summary>The HOME of a node started by <see cref="RabbitMq"/>: its .erlang.cookie, which rabbitmqctl reads too.</summary>
    public static string RabbitMqHome(string baseDirectory) => Path.Combine(baseDirectory, "home");

    public static string NewErlangCookie() => Convert.ToHexString(RandomNumberGenerator.GetBytes(20));

    public static string RabbitMqConnectionString(int port, string password) =>
        $"amqp://{RabbitMqUser}:{Uri.EscapeDataString(password)}@127.0.0.1:{port}";

    // ---- helpers ------------------------------------------------------------------------------

    public static string NewPassword() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();

    private static async Task RunAsync(string command, IReadOnlyList<string> args, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(command, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) startInfo.Environment[key] = value;
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {command}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{command} {string.Join(' ', args)}' exited with {process.ExitCode}: {await error}{await output}");
        }
    }
}
