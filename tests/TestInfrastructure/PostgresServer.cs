using FlexWhere.LocalServers;
using Npgsql;
using Testcontainers.PostgreSql;

namespace FlexWhere.Testing;

/// <summary>A real PostgreSQL server; each test class asks for a database of its own.</summary>
public sealed class PostgresServer : RealServer
{
    public const string Variable = "FLEXWHERE_TEST_POSTGRES";

    protected override string EnvironmentVariable => Variable;
    protected override string DebianPackage => "postgresql";
    protected override string Name => "postgres";

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}".ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    protected override async Task<string> StartContainerAsync(List<IAsyncDisposable> owned)
    {
        var container = new PostgreSqlBuilder("postgres:17").Build();
        owned.Add(container);
        await container.StartAsync();
        return container.GetConnectionString();
    }

    protected override async Task<string> StartLocalAsync(DataFolder folder, List<IAsyncDisposable> owned)
    {
        var password = Recipes.NewPassword();
        var dataDirectory = Path.Combine(folder.Path, "data");
        await Recipes.InitPostgresAsync(dataDirectory, password);
        var port = Ports.FreeLoopbackPort();
        var process = StartProcess(Recipes.Postgres(dataDirectory, port), folder, "postgres", owned);
        var connectionString = Recipes.PostgresConnectionString(port, password, "postgres");
        await process.WaitUntilReadyAsync("PostgreSQL", async cancellationToken =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            return true;
        }, StartTimeout);
        return connectionString;
    }
}
