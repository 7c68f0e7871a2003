using System.Net;
using FlexWhere.Testing;
using Npgsql;

namespace FlexWhere.Accounts.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}

[Collection(PostgresCollection.Name)]
public class ReadinessTests(PostgresServer postgres)
{
    [Fact]
    public async Task Is_ready_when_its_database_answers()
    {
        using var factory = new ServiceFactory<Program>(
            ("ConnectionStrings:accountsdb", await postgres.CreateDatabaseAsync("accounts")), ("InternalApi:Key", AccountsTestBase.InternalKey));

        var (code, body, raw) = await HealthProbe.WaitForReadinessAsync(factory.CreateClient(), HttpStatusCode.OK, TimeSpan.FromSeconds(30));

        Assert.True(code == HttpStatusCode.OK, raw);
        Assert.Equal("Healthy", body!.Checks["AccountsDbContext"].Status);
    }

    [Fact]
    public async Task Is_not_ready_when_its_database_does_not_exist()
    {
        var missing = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = "no_such_database" };
        using var factory = new ServiceFactory<Program>(("ConnectionStrings:accountsdb", missing.ConnectionString), ("InternalApi:Key", AccountsTestBase.InternalKey));

        await HealthProbe.AssertAliveButNotReadyAsync(factory.CreateClient(), "AccountsDbContext");
    }
}
