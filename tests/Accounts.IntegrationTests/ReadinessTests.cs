using System.Net;
using System.Net.Http.Json;
using FlexWhere.Testing;
using Npgsql;

namespace FlexWhere.Accounts.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<AccountsHostPool>,
    ICollectionFixture<PostgresServer>, ICollectionFixture<RabbitMqServer>
{
    public const string Name = "postgres";
}

/// <summary>The mobile sign-in classes, with a PostgreSQL server of their own: a collection's classes
/// run one after another, so a second collection lets them run beside the first.</summary>
[CollectionDefinition(Name)]
public sealed class MobilePostgresCollection : ICollectionFixture<AccountsHostPool>,
    ICollectionFixture<PostgresServer>, ICollectionFixture<RabbitMqServer>
{
    public const string Name = "postgres-mobile";
}

[Collection(PostgresCollection.Name)]
public class ReadinessTests(PostgresServer postgres, RabbitMqServer rabbitMq)
{
    private ServiceFactory<Program> Accounts(string database, string? broker = null) => new(
        ("ConnectionStrings:accountsdb", database), ("ConnectionStrings:rabbitmq", broker ?? rabbitMq.ConnectionString),
        ("AccountLinks:PublicBaseUrl", AccountsTestBase.PublicBaseUrl), ("InternalApi:Key", AccountsTestBase.InternalKey));

    [Fact]
    public async Task Is_ready_when_its_database_answers()
    {
        using var factory = Accounts(await postgres.CreateDatabaseAsync("accounts"));

        var (code, body, raw) = await HealthProbe.WaitForReadinessAsync(factory.CreateClient(), HttpStatusCode.OK,
            TimeSpan.FromSeconds(30));

        Assert.True(code == HttpStatusCode.OK, raw);
        Assert.Equal("Healthy", body!.Checks["AccountsDbContext"].Status);
    }

    [Fact]
    public async Task Is_ready_without_rabbitmq_as_its_e_mails_wait_in_the_outbox()
    {
        using var factory = Accounts(await postgres.CreateDatabaseAsync("accounts"),
            broker: $"amqp://guest:guest@127.0.0.1:{HealthProbe.ClosedPort()}/");

        var (code, body, raw) = await HealthProbe.WaitForReadinessAsync(factory.CreateClient(), HttpStatusCode.OK,
            TimeSpan.FromSeconds(30));

        Assert.True(code == HttpStatusCode.OK, raw);
        Assert.DoesNotContain(body!.Checks.Keys, check => check.Contains("masstransit", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Is_not_ready_while_its_database_refuses_connections_though_the_pool_still_holds_some()
    {
        var database = await postgres.CreateDatabaseAsync("accounts");
        var name = new NpgsqlConnectionStringBuilder(database).Database!;
        using var factory = Accounts(database);
        var client = factory.CreateClient();
        var (ready, _, readyRaw) = await HealthProbe.WaitForReadinessAsync(client, HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        Assert.True(ready == HttpStatusCode.OK, readyRaw);

        // The database goes away under the service's pooled connections, as in an outage.
        await AdminAsync($"""
            ALTER DATABASE "{name}" ALLOW_CONNECTIONS false;
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';
            """);
        try
        {
            var (down, _, downRaw) = await HealthProbe.WaitForReadinessAsync(client, HttpStatusCode.ServiceUnavailable,
                TimeSpan.FromSeconds(15));
            Assert.True(down == HttpStatusCode.ServiceUnavailable, downRaw);

            // A sign-in meanwhile fails closed, and soon: a few quick retries, not EF's minute of them.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var login = await client.PostAsJsonAsync("/api/auth/login", new { email = "someone@example.test",
                password = "Some-Password-2026!", client = "control-centre" });
            var elapsed = clock.Elapsed;
            var body = await login.Content.ReadAsStringAsync();
            Assert.True(login.StatusCode == HttpStatusCode.ServiceUnavailable, body);
            Assert.Contains("\"accounts_unavailable\"", body);
            Assert.NotNull(login.Headers.RetryAfter);
            Assert.True(elapsed < TimeSpan.FromSeconds(20), $"The 503 took {elapsed.TotalSeconds:0} s.");
        }
        finally
        {
            await AdminAsync($"""ALTER DATABASE "{name}" ALLOW_CONNECTIONS true;""");
        }

        var (back, _, backRaw) = await HealthProbe.WaitForReadinessAsync(client, HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        Assert.True(back == HttpStatusCode.OK, backRaw);
    }

    private async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Is_not_ready_when_its_database_does_not_exist()
    {
        var missing = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = "no_such_database" };
        using var factory = Accounts(missing.ConnectionString);

        await HealthProbe.AssertAliveButNotReadyAsync(factory.CreateClient(), "AccountsDbContext");
    }
}
