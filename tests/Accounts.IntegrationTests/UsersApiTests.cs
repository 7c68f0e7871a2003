using System.Net;
using System.Net.Http.Json;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Organisations;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

[Collection(PostgresCollection.Name)]
public class UsersApiTests(PostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq)
    : AccountsTestBase(postgres, host, rabbitMq)
{
    private Organisation _acme = null!;
    private User _admin = null!;
    private User _manager = null!;
    private User _employee = null!;

    private async Task SeedAsync()
    {
        _acme = await CreateOrganisationAsync("Acme");
        _admin = await CreateUserAsync(_acme, UserRole.Admin, "+31611111111");
        _manager = await CreateUserAsync(_acme, UserRole.Manager, "+31622222222");
        _employee = await CreateUserAsync(_acme, UserRole.Employee, "+31612345678");
    }

    [Fact]
    public async Task Admins_list_only_their_own_organisation_with_numbers_masked()
    {
        await SeedAsync();
        var other = await CreateOrganisationAsync("Other");
        await CreateUserAsync(other, UserRole.Employee);
        using var client = ClientFor(_admin);

        var page = await JsonAsync(await client.GetAsync("/api/users"));

        Assert.Equal(3, page.GetProperty("total").GetInt32());
        var employee = page.GetProperty("items").EnumerateArray().Single(u => u.GetProperty("id").GetGuid() == _employee.Id);
        Assert.Equal("+31 6 •••• ••78", employee.GetProperty("phone").GetString());
        Assert.True(employee.GetProperty("phoneMasked").GetBoolean());
    }

    [Fact]
    public async Task Managers_see_other_numbers_masked_and_their_own_in_full()
    {
        await SeedAsync();
        using var client = ClientFor(_manager);

        var items = (await JsonAsync(await client.GetAsync("/api/users"))).GetProperty("items").EnumerateArray().ToList();

        Assert.Equal("+31 6 •••• ••78", items.Single(u => u.GetProperty("id").GetGuid() == _employee.Id).GetProperty("phone")
            .GetString());
        Assert.Equal("+31622222222", items.Single(u => u.GetProperty("id").GetGuid() == _manager.Id).GetProperty("phone").GetString());
    }

    [Fact]
    public async Task The_list_pages_and_searches_on_email_and_name()
    {
        await SeedAsync();
        for (var i = 0; i < 5; i++) await CreateUserAsync(_acme, UserRole.Employee, email: $"search-{i}@example.test");
        using var client = ClientFor(_admin);

        var page = await JsonAsync(await client.GetAsync("/api/users?search=SEARCH-&page=2&pageSize=2"));

        Assert.Equal(5, page.GetProperty("total").GetInt32());
        Assert.Equal(["search-2@example.test", "search-3@example.test"], page.GetProperty("items").EnumerateArray()
            .Select(u => u.GetProperty("email").GetString()));
        await ProblemAsync(await client.GetAsync("/api/users?pageSize=1000"), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Employees_cannot_use_the_user_list()
    {
        await SeedAsync();
        using var client = ClientFor(_employee);

        await ProblemAsync(await client.GetAsync("/api/users"), HttpStatusCode.Forbidden, "forbidden");
    }

    [Theory]
    [InlineData("iloveyou1234", "password_too_common")]
    [InlineData("new.person-summer", "password_too_predictable")]
    [InlineData("short-one", "password_too_short")]
    public async Task A_new_user_gets_no_password_that_is_common_predictable_or_short_and_no_account_either(string password,
        string code)
    {
        await SeedAsync();
        using var client = ClientFor(_admin);

        var problem = await ProblemAsync(await client.PostAsJsonAsync("/api/users",
            new { email = "new.person@example.test", displayName = "New Person", role = "Employee", password }),
            HttpStatusCode.BadRequest, code);

        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        await using var db = NewDbContext();
        Assert.False(await db.Users.AnyAsync(u => u.NormalizedEmail == "NEW.PERSON@EXAMPLE.TEST"));
    }

    [Fact]
    public async Task Admins_create_users_with_a_normalised_phone_number()
    {
        await SeedAsync();
        using var client = ClientFor(_admin);

        var created = await JsonAsync(await client.PostAsJsonAsync("/api/users",
            new { email = "New.Person@Example.test", displayName = "New Person", role = "Manager", phone = "+31 6 1234 5699",
                password = "a-long-enough-password" }),
            HttpStatusCode.Created);

        Assert.Equal("+31 6 •••• ••99", created.GetProperty("phone").GetString());
        await using (var db = NewDbContext()) Assert.Equal("+31612345699",
            (await db.Users.SingleAsync(u => u.Email == "New.Person@Example.test")).PhoneNumber);
        Assert.False(created.GetProperty("phoneVerified").GetBoolean());
        var login = await LoginAsync("new.person@example.test", "a-long-enough-password", "control-centre");
        await ProblemAsync(login, HttpStatusCode.ServiceUnavailable, "mfa_unavailable");
        Assert.Contains(await AuditAsync(_acme.Id), e => e.Event == AuditEvents.UserCreated && e.ActorUserId == _admin.Id);
    }

    [Theory]
    [InlineData("0612345678", "phone_country_code_missing")]
    [InlineData("+31201234567", "phone_fixed_line")]
    [InlineData("+319001234567", "phone_premium_rate")]
    [InlineData("+3161234", "phone_invalid")]
    [InlineData("call me", "phone_country_code_missing")]
    public async Task Numbers_that_cannot_receive_codes_are_refused_with_their_own_code(string phone, string code)
    {
        await SeedAsync();
        using var client = ClientFor(_admin);

        var problem = await ProblemAsync(await client.PostAsJsonAsync("/api/users", new { email = "x@example.test", displayName = "X",
            role = "Employee", phone }),
            HttpStatusCode.BadRequest, code);

        if (code == "phone_country_code_missing") Assert.Contains("+31", problem.GetProperty("detail").GetString());
        await using var db = NewDbContext();
        Assert.False(await db.Users.AnyAsync(u => u.NormalizedEmail == "X@EXAMPLE.TEST"));
    }

    [Theory]
    [InlineData("not-an-email")]
    [InlineData("two@@example.test")]
    [InlineData("Name <name@example.test>")]
    [InlineData("name@localhost")]
    public async Task Malformed_email_addresses_are_refused(string email)
    {
        await SeedAsync();
        using var client = ClientFor(_admin);

        await ProblemAsync(await client.PostAsJsonAsync("/api/users", new { email, displayName = "X", role = "Employee" }),
            HttpStatusCode.BadRequest, "email_invalid");
    }

    [Fact]
    public async Task An_email_address_can_belong_to_one_account_only_whatever_its_case()
    {
        await SeedAsync();
        using var client = ClientFor(_admin);

        await ProblemAsync(await client.PostAsJsonAsync("/api/users",
            new { email = _employee.Email.ToUpperInvariant(), displayName = "X", role = "Employee" }),
            HttpStatusCode.Conflict, "email_taken");
    }

    [Fact]
    public async Task Managers_cannot_create_users_or_change_other_numbers_and_change_their_own_only_with_a_code()
    {
        await SeedAsync();
        using var client = ClientFor(_manager);

        await ProblemAsync(await client.PostAsJsonAsync("/api/users",
            new { email = "x@example.test", displayName = "X", role = "Employee" }), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAsync(await client.PutAsJsonAsync($"/api/users/{_employee.Id}/phone", new { phone = "+31687654321" }),
            HttpStatusCode.Forbidden, "forbidden");
        await ProblemAsync(await client.PutAsJsonAsync($"/api/users/{_manager.Id}/phone", new { phone = "+31687654321" }),
            HttpStatusCode.Conflict, "verify_new_number");

        await using var db = NewDbContext();
        Assert.Equal("+31622222222", (await db.Users.SingleAsync(u => u.Id == _manager.Id)).PhoneNumber);
    }

    [Fact]
    public async Task A_changed_number_is_unverified_and_audited_masked()
    {
        await SeedAsync();
        using var client = ClientFor(_admin);

        await JsonAsync(await client.PutAsJsonAsync($"/api/users/{_employee.Id}/phone", new { phone = "+31658765432" }));

        await using var db = NewDbContext();
        var stored = await db.Users.SingleAsync(u => u.Id == _employee.Id);
        Assert.Equal("+31658765432", stored.PhoneNumber);
        Assert.False(stored.PhoneVerified);
        var entry = Assert.Single(await AuditAsync(_acme.Id), e => e.Event == AuditEvents.PhoneChanged);
        Assert.Equal("+31 6 •••• ••78 → +31 6 •••• ••32 (set by an admin)", entry.Details);
        Assert.Equal(_admin.Id, entry.ActorUserId);
    }

    [Fact]
    public async Task Admins_update_disable_enable_and_delete_users()
    {
        await SeedAsync();
        using var client = ClientFor(_admin);

        var updated = await JsonAsync(await client.PutAsJsonAsync($"/api/users/{_employee.Id}", new { displayName = "Renamed",
            role = "Manager" }));
        Assert.Equal("Renamed", updated.GetProperty("displayName").GetString());
        Assert.Equal("Manager", updated.GetProperty("role").GetString());
        Assert.False((await JsonAsync(await client.PostAsync($"/api/users/{_employee.Id}/disable", null))).GetProperty("active")
            .GetBoolean());
        await ProblemAsync(await LoginAsync(_employee.Email), HttpStatusCode.Forbidden, "account_disabled");
        Assert.True((await JsonAsync(await client.PostAsync($"/api/users/{_employee.Id}/enable", null))).GetProperty("active")
            .GetBoolean());
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/users/{_employee.Id}")).StatusCode);

        await ProblemAsync(await client.GetAsync($"/api/users/{_employee.Id}"), HttpStatusCode.NotFound, "not_found");
        var events = (await AuditAsync(_acme.Id)).Select(e => e.Event).ToList();
        Assert.Contains(AuditEvents.UserUpdated, events);
        Assert.Contains(AuditEvents.UserDisabled, events);
        Assert.Contains(AuditEvents.UserDeleted, events);
    }

    [Fact]
    public async Task Admins_cannot_disable_or_delete_themselves()
    {
        await SeedAsync();
        using var client = ClientFor(_admin);

        await ProblemAsync(await client.PostAsync($"/api/users/{_admin.Id}/disable", null), HttpStatusCode.Conflict, "own_account");
        await ProblemAsync(await client.DeleteAsync($"/api/users/{_admin.Id}"), HttpStatusCode.Conflict, "own_account");
    }

    [Fact]
    public async Task Every_user_route_answers_not_found_for_another_organisations_user()
    {
        await SeedAsync();
        var other = await CreateOrganisationAsync("Other");
        var otherAdmin = await CreateUserAsync(other, UserRole.Admin);
        var otherManager = await CreateUserAsync(other, UserRole.Manager);
        using var admin = ClientFor(otherAdmin);
        using var manager = ClientFor(otherManager);
        var target = _employee.Id;

        HttpResponseMessage[] responses =
        [
            await admin.GetAsync($"/api/users/{target}"),
            await admin.PutAsJsonAsync($"/api/users/{target}", new { displayName = "Hacked" }),
            await admin.PutAsJsonAsync($"/api/users/{target}/phone", new { phone = "+31600000000" }),
            await admin.PostAsync($"/api/users/{target}/disable", null),
            await admin.PostAsync($"/api/users/{target}/enable", null),
            await admin.DeleteAsync($"/api/users/{target}"),
            await manager.GetAsync($"/api/users/{target}"),
            await manager.PutAsJsonAsync($"/api/users/{target}/phone", new { phone = "+31600000000" }),
        ];

        foreach (var response in responses) await ProblemAsync(response, HttpStatusCode.NotFound, "not_found");
        await using var db = NewDbContext();
        var untouched = await db.Users.SingleAsync(u => u.Id == target);
        Assert.Equal(_employee.DisplayName, untouched.DisplayName);
        Assert.Equal("+31612345678", untouched.PhoneNumber);
        Assert.True(untouched.Active);
        Assert.Empty(await AuditAsync(_acme.Id));
    }
}
