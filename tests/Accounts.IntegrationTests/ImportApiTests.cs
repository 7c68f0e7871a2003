using System.Net;
using System.Net.Http.Json;
using System.Text;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Organisations;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

[Collection(PostgresCollection.Name)]
public class ImportApiTests(PostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq)
    : AccountsTestBase(postgres, host, rabbitMq)
{
    private static readonly object[] GoodRows =
    [
        new { email = "ann@example.test", displayName = "Ann", role = "Manager", phone = "+31 6 11112222" },
        new { email = "bob@example.test", displayName = "Bob", role = "Employee", phone = (string?)null },
    ];

    private async Task<(Organisation Organisation, User Admin, HttpClient Client)> LinkedAsync()
    {
        var organisation = await CreateOrganisationAsync(configure: o => o.LinkedDatabase = true);
        var admin = await CreateUserAsync(organisation, UserRole.Admin);
        return (organisation, admin, ClientFor(admin));
    }

    [Fact]
    public async Task An_import_applies_good_rows_and_reports_each_bad_one()
    {
        var (organisation, _, client) = await LinkedAsync();
        object[] rows =
        [
            .. GoodRows,
            new { email = "carl@example.test", displayName = "Carl", role = "Employee", phone = "0612345678" },
            new { email = "dina@example.test", displayName = "Dina", role = "Employee", phone = "+31201234567" },
            new { email = "not an email", displayName = "Eve", role = "Employee", phone = (string?)null },
            new { email = "fay@example.test", displayName = "Fay", role = "Boss", phone = (string?)null },
            new { email = "ANN@example.test", displayName = "Ann again", role = "Employee", phone = (string?)null },
        ];

        var result = await JsonAsync(await client.PostAsJsonAsync("/api/users/import", new { fullSync = false, users = rows }));

        Assert.Equal(2, result.GetProperty("created").GetInt32());
        var errors = result.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("row").GetInt32(), e.GetProperty("code").GetString())).ToList();
        Assert.Equal([(2, "phone_country_code_missing"), (3, "phone_fixed_line"), (4, "email_invalid"), (5, "role_invalid"),
            (6, "duplicate_in_batch")], errors);
        await using var db = NewDbContext();
        var ann = await db.Users.SingleAsync(u => u.NormalizedEmail == "ANN@EXAMPLE.TEST");
        Assert.Equal("+31611112222", ann.PhoneNumber);
        Assert.Equal(UserRole.Manager, ann.Role);
        Assert.True(ann.FromLinkedDatabase);
        Assert.False(await db.Users.AnyAsync(u => u.NormalizedEmail == "CARL@EXAMPLE.TEST"));
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.Import);
    }

    [Fact]
    public async Task Importing_the_same_batch_twice_changes_nothing_the_second_time()
    {
        var (_, _, client) = await LinkedAsync();

        await JsonAsync(await client.PostAsJsonAsync("/api/users/import", new { fullSync = false, users = GoodRows }));
        var again = await JsonAsync(await client.PostAsJsonAsync("/api/users/import", new { fullSync = false, users = GoodRows }));

        Assert.Equal(0, again.GetProperty("created").GetInt32());
        Assert.Equal(0, again.GetProperty("updated").GetInt32());
        Assert.Equal(2, again.GetProperty("unchanged").GetInt32());
        await using var db = NewDbContext();
        Assert.Equal(3, await db.Users.CountAsync());
    }

    [Fact]
    public async Task A_changed_number_from_the_directory_is_updated_and_unverified()
    {
        var (_, _, client) = await LinkedAsync();
        await JsonAsync(await client.PostAsJsonAsync("/api/users/import", new { fullSync = false, users = GoodRows }));

        var result = await JsonAsync(await client.PostAsJsonAsync("/api/users/import",
            new { fullSync = false, users = new[] { new { email = "ann@example.test", displayName = "Ann", role = "Manager",
                phone = "+31633334444" } } }));

        Assert.Equal(1, result.GetProperty("updated").GetInt32());
        await using var db = NewDbContext();
        var ann = await db.Users.SingleAsync(u => u.NormalizedEmail == "ANN@EXAMPLE.TEST");
        Assert.Equal("+31633334444", ann.PhoneNumber);
        Assert.False(ann.PhoneVerified);
    }

    [Fact]
    public async Task A_full_sync_disables_users_missing_from_it_but_never_deletes_them_or_the_caller()
    {
        var (organisation, admin, client) = await LinkedAsync();
        var leaver = await CreateUserAsync(organisation, UserRole.Employee);

        var result = await JsonAsync(await client.PostAsJsonAsync("/api/users/import", new { fullSync = true, users = GoodRows }));

        Assert.Equal(1, result.GetProperty("disabled").GetInt32());
        await using var db = NewDbContext();
        Assert.False((await db.Users.SingleAsync(u => u.Id == leaver.Id)).Active);
        Assert.True((await db.Users.SingleAsync(u => u.Id == admin.Id)).Active);
        Assert.Contains(await AuditAsync(organisation.Id), e => e.Event == AuditEvents.UserDisabled && e.SubjectUserId == leaver.Id);
    }

    [Fact]
    public async Task Manual_edits_are_refused_when_users_come_from_the_linked_database()
    {
        var (organisation, admin, client) = await LinkedAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);

        await ProblemAsync(await client.PutAsJsonAsync($"/api/users/{employee.Id}/phone", new { phone = "+31633334444" }),
            HttpStatusCode.Conflict, "managed_by_linked_database");
        await ProblemAsync(await client.PostAsJsonAsync("/api/users",
            new { email = "x@example.test", displayName = "X", role = "Employee" }), HttpStatusCode.Conflict, "managed_by_linked_database");
        using var self = ClientFor(admin);
        await ProblemAsync(await self.PutAsJsonAsync($"/api/users/{admin.Id}/phone", new { phone = "+31633334444" }),
            HttpStatusCode.Conflict, "managed_by_linked_database");

        await using var db = NewDbContext();
        Assert.Equal("+31612345678", (await db.Users.SingleAsync(u => u.Id == employee.Id)).PhoneNumber);
    }

    [Fact]
    public async Task An_organisation_without_a_linked_database_cannot_import()
    {
        var organisation = await CreateOrganisationAsync();
        using var client = ClientFor(await CreateUserAsync(organisation, UserRole.Admin));

        await ProblemAsync(await client.PostAsJsonAsync("/api/users/import", new { fullSync = true, users = GoodRows }),
            HttpStatusCode.Conflict, "linked_database_not_enabled");

        await using var db = NewDbContext();
        Assert.Equal(1, await db.Users.CountAsync());
    }

    [Fact]
    public async Task An_oversized_import_is_refused_and_writes_nothing()
    {
        var (_, _, client) = await LinkedAsync();
        var json = new StringBuilder("{\"fullSync\":true,\"users\":[");
        for (var i = 0; i < 80_000; i++)
        {
            json.Append($"{{\"email\":\"u{i}@example.test\",\"displayName\":\"User {i}\",\"role\":\"Employee\"}},");
        }
        json.Append("{}]}");

        var response = await client.PostAsync("/api/users/import", new StringContent(json.ToString(), Encoding.UTF8, "application/json"));

        await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        await using var db = NewDbContext();
        Assert.Equal(1, await db.Users.CountAsync());
    }

    [Fact]
    public async Task A_batch_of_more_than_5000_rows_is_refused_and_writes_nothing()
    {
        var (_, _, client) = await LinkedAsync();
        var rows = Enumerable.Range(0, 5001)
            .Select(i => new { email = $"u{i}@example.test", displayName = $"User {i}", role = "Employee" });

        await ProblemAsync(await client.PostAsJsonAsync("/api/users/import", new { fullSync = false, users = rows }),
            HttpStatusCode.BadRequest, "import_too_large");

        await using var db = NewDbContext();
        Assert.Equal(1, await db.Users.CountAsync());
    }

    [Fact]
    public async Task A_csv_import_applies_the_same_rules()
    {
        var (organisation, _, client) = await LinkedAsync();
        var leaver = await CreateUserAsync(organisation, UserRole.Employee);
        const string csv =
            "email,displayName,role,phone\r\nann@example.test,\"Ann, the first\",Manager,+31 6 " +
            "11112222\r\ncarl@example.test,Carl,Employee,0612345678\r\n";

        var result = await JsonAsync(await client.PostAsync("/api/users/import/csv?fullSync=true", new StringContent(csv, Encoding.UTF8,
            "text/csv")));

        Assert.Equal(1, result.GetProperty("created").GetInt32());
        Assert.Equal(1, result.GetProperty("disabled").GetInt32());
        var error = Assert.Single(result.GetProperty("errors").EnumerateArray());
        Assert.Equal(1, error.GetProperty("row").GetInt32());
        Assert.Equal("phone_country_code_missing", error.GetProperty("code").GetString());
        await using var db = NewDbContext();
        Assert.Equal("Ann, the first", (await db.Users.SingleAsync(u => u.NormalizedEmail == "ANN@EXAMPLE.TEST")).DisplayName);
        Assert.False((await db.Users.SingleAsync(u => u.Id == leaver.Id)).Active);
    }

    [Fact]
    public async Task A_csv_without_the_required_columns_is_refused()
    {
        var (_, _, client) = await LinkedAsync();

        await ProblemAsync(await client.PostAsync("/api/users/import/csv",
            new StringContent("mail,name\nx@example.test,X\n", Encoding.UTF8, "text/csv")),
            HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task An_import_can_neither_take_over_nor_disable_another_organisations_users()
    {
        var (_, _, client) = await LinkedAsync();
        var other = await CreateOrganisationAsync("Other", o => o.LinkedDatabase = true);
        var foreign = await CreateUserAsync(other, UserRole.Admin, email: "foreign@example.test");

        var result = await JsonAsync(await client.PostAsJsonAsync("/api/users/import",
            new { fullSync = true, users = new[] { new { email = "FOREIGN@example.test", displayName = "Taken over", role = "Employee",
                phone = "+31633334444" } } }));

        var error = Assert.Single(result.GetProperty("errors").EnumerateArray());
        Assert.Equal("email_taken", error.GetProperty("code").GetString());
        await using var db = NewDbContext();
        var untouched = await db.Users.SingleAsync(u => u.Id == foreign.Id);
        Assert.Equal(other.Id, untouched.OrganisationId);
        Assert.Equal(foreign.DisplayName, untouched.DisplayName);
        Assert.Equal("+31612345678", untouched.PhoneNumber);
        Assert.True(untouched.Active);
        Assert.Empty(await AuditAsync(other.Id));
    }

    [Fact]
    public async Task Only_admins_import()
    {
        var (organisation, _, _) = await LinkedAsync();
        using var manager = ClientFor(await CreateUserAsync(organisation, UserRole.Manager));

        await ProblemAsync(await manager.PostAsJsonAsync("/api/users/import", new { fullSync = true, users = GoodRows }),
            HttpStatusCode.Forbidden, "forbidden");
    }
}
