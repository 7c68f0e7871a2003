using FlexWhere.LocalServers;
using Npgsql;

namespace FlexWhere.Testing;

/// <summary>
/// A PostgreSQL primary and a hot standby of it, local processes from Debian's packages on two loopback
/// ports, for the failover test. The standby streams the primary's WAL and is synchronous: the primary
/// confirms a commit only once the standby has it, so promoting the standby loses no committed
/// transaction. <see cref="RealServer.ConnectionString"/> names both hosts with
/// <c>Target Session Attributes=primary</c>, as Accounts' connection string does in production.
/// Never the run's shared server and never a container: the test stops one of these processes.
/// </summary>
public sealed class ReplicatedPostgresServer : PostgresServer
{
    private const string ReplicationRole = "replicator";

    private string _primaryData = "";

    protected override bool MayShare => false;

    /// <summary>The standby alone (a primary after <see cref="PromoteStandbyAsync"/>): what it holds.</summary>
    public string StandbyConnectionString { get; private set; } = "";

    protected override Task<string> StartContainerAsync(List<IAsyncDisposable> owned) =>
        throw new InvalidOperationException(
            "The PostgreSQL failover test stops and promotes local servers: it needs Debian's PostgreSQL, not a container. " +
            DebianServers.InstallHint);

    protected override async Task<string> StartLocalAsync(DataFolder folder, List<IAsyncDisposable> owned)
    {
        var password = Recipes.NewPassword();
        var replicationPassword = Recipes.NewPassword();
        var (primaryPort, standbyPort) = (Ports.FreeLoopbackPort(), Ports.FreeLoopbackPort());
        _primaryData = Path.Combine(folder.Path, "primary");
        await Recipes.InitPostgresAsync(_primaryData, password);
        var primary = Recipes.PostgresConnectionString(primaryPort, password, "postgres");
        // Any standby counts as the synchronous one; "on" waits for its flush, enough to survive a promotion.
        await StartLocalProcessAsync(Recipes.Postgres(_primaryData, primaryPort, ["synchronous_commit=on", "synchronous_standby_names=*"]),
            primary, folder, "primary", owned);
        // No standby answers yet, so this one commit must not wait for one.
        await ExecuteAsync(primary,
            $"SET synchronous_commit = local; CREATE ROLE {ReplicationRole} WITH REPLICATION LOGIN PASSWORD '{replicationPassword}'");

        var standbyData = Path.Combine(folder.Path, "standby");
        await Recipes.BaseBackupPostgresAsync(primaryPort, ReplicationRole, replicationPassword, standbyData);
        StandbyConnectionString = Recipes.PostgresConnectionString(standbyPort, password, "postgres");
        // Its own settings name no synchronous standby: once promoted it commits alone.
        await StartLocalProcessAsync(Recipes.Postgres(standbyData, standbyPort), StandbyConnectionString, folder, "standby", owned);
        await WaitUntilSynchronousAsync(primary);

        return $"Host=127.0.0.1:{primaryPort},127.0.0.1:{standbyPort};Username={Recipes.PostgresUser};Password={password};" +
            "Database=postgres;Target Session Attributes=primary;Host Recheck Seconds=2;Timeout=5";
    }

    /// <summary>Stops the primary as a crash would (pg_ctl stop -m immediate): no shutdown checkpoint,
    /// its clients' connections cut.</summary>
    public Task StopPrimaryImmediatelyAsync() => Recipes.StopPostgresImmediatelyAsync(_primaryData);

    /// <summary>What an operator (or Patroni) does: the standby leaves recovery and takes writes.</summary>
    public Task PromoteStandbyAsync() => ExecuteAsync(StandbyConnectionString, "SELECT pg_promote(wait => true)");

    private static async Task WaitUntilSynchronousAsync(string primary)
    {
        using var deadline = new CancellationTokenSource(StartTimeout);
        await using var dataSource = NpgsqlDataSource.Create(primary);
        while (true)
        {
            await using var command = dataSource.CreateCommand("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'");
            if ((long)(await command.ExecuteScalarAsync(deadline.Token))! > 0) return;
            await Task.Delay(200, deadline.Token);
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        // Not pooled: a pooled connection would outlive the server the test stops.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
