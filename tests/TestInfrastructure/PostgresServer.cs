using System.Collections.Concurrent;
using FlexWhere.LocalServers;
using Npgsql;
using Testcontainers.PostgreSql;

namespace FlexWhere.Testing;

/// <summary>A real PostgreSQL server; each test class asks for a database of its own.</summary>
public class PostgresServer : RealServer
{
    public const string Variable = "FLEXWHERE_TEST_POSTGRES";

    protected override string EnvironmentVariable => Variable;
    protected override string DebianPackage => "postgresql";
    protected override string Name => "postgres";

    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _templates = new();

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public Task<string> CreateDatabaseAsync(string prefix = "test") => CreateDatabaseAsync(prefix, template: null);

    /// <summary>
    /// Creates a database with a unique name as a copy of a template that <paramref name="prepare"/>
    /// fills once per server and prefix (the migrations, say), and returns its connection string.
    /// PostgreSQL copies a database in a fraction of the time the migrations take to run.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string prefix, Func<string, Task> prepare)
    {
        var template = await _templates.GetOrAdd(prefix, _ => new Lazy<Task<string>>(() => CreateTemplateAsync(prefix, prepare))).Value;
        return await CreateDatabaseAsync(prefix, template);
    }

    private async Task<string> CreateTemplateAsync(string prefix, Func<string, Task> prepare)
    {
        var connectionString = await CreateDatabaseAsync($"{prefix}_template");
        await prepare(connectionString);
        // A copy is refused while anyone is connected to its template: the pooled connections go.
        NpgsqlConnection.ClearAllPools();
        return new NpgsqlConnectionStringBuilder(connectionString).Database!;
    }

    private async Task<string> CreateDatabaseAsync(string prefix, string? template)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}".ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            var sql = template is null ? $"CREATE DATABASE \"{name}\"" : $"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"";
            await using var create = new NpgsqlCommand(sql, connection);
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
        var connectionString = Recipes.PostgresConnectionString(port, password, "postgres");
        await StartLocalProcessAsync(Recipes.Postgres(dataDirectory, port), connectionString, folder, "postgres", owned);
        return connectionString;
    }

    /// <summary>Starts one postgres process and waits until <paramref name="connectionString"/> opens.</summary>
    protected static async Task StartLocalProcessAsync(ProcessSpec spec, string connectionString, DataFolder folder, string logName,
        List<IAsyncDisposable> owned)
    {
        var process = StartProcess(spec, folder, logName, owned);
        await process.WaitUntilReadyAsync("PostgreSQL", async cancellationToken =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            return true;
        }, StartTimeout);
    }
}
