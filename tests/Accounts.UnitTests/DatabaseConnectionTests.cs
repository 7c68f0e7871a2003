using FlexWhere.Accounts.Data;
using FlexWhere.Accounts.Extensions;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FlexWhere.Accounts.UnitTests;

/// <summary>Accounts' connections prepare their statements and skip the reset on reuse, unless the connection string says
/// otherwise (docs/benchmarks.md, "Fewer statements for PostgreSQL to plan").</summary>
public sealed class DatabaseConnectionTests
{
    [Fact]
    public void The_service_connects_with_statements_prepared_and_without_the_reset()
    {
        using var factory = new ServiceFactory<Program>([.. StartupTests.Broker,
            ("ConnectionStrings:accountsdb", "Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d"),
            ("InternalApi:Key", StartupTests.ServiceKey)]);
        using var scope = factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();

        var used = new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString());

        Assert.Equal(DatabaseConnection.AutoPreparedStatements, used.MaxAutoPrepare);
        Assert.True(used.NoResetOnClose);
        Assert.Equal("d", used.Database);
    }

    [Theory]
    [InlineData("Host=h;Max Auto Prepare=0;No Reset On Close=false", 0, false)]
    [InlineData("Host=h;maxautoprepare=5", 5, true)]
    [InlineData("Host=h;NoResetOnClose=False", DatabaseConnection.AutoPreparedStatements, false)]
    public void A_connection_string_that_sets_either_keeps_its_own(string given, int prepared, bool noReset)
    {
        var used = new NpgsqlConnectionStringBuilder(DatabaseConnection.Tuned(given));

        Assert.Equal(prepared, used.MaxAutoPrepare);
        Assert.Equal(noReset, used.NoResetOnClose);
    }
}
