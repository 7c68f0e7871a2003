using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>Control characters are bad input (400 validation_failed naming the field), never an outage:
/// before the check a NUL reached PostgreSQL, which refused it, and the sign-in answered 503.</summary>
[Collection(PostgresCollection.Name)]
public class ControlCharacterTests(PostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq)
    : AccountsTestBase(postgres, host, rabbitMq)
{
    public static TheoryData<string> Controls => new() { "\0", "\t", "\n", "\r", "\u001B", "\u007F", "\u0085", "\u009F" };

    private static async Task<JsonElement> RefusedAsync(HttpResponseMessage response, string field)
    {
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Contains("control character", problem.GetProperty("detail").GetString());
        return problem;
    }

    [Fact]
    public async Task A_nul_in_the_login_email_is_bad_input_not_an_outage()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);

        var problem = await RefusedAsync(await LoginAsync(employee.Email + "\0"), "email");

        Assert.Contains("U+0000", problem.GetProperty("detail").GetString());
        Assert.Contains("email", problem.GetProperty("detail").GetString());
        Assert.DoesNotContain(await AuditAsync(organisation.Id), e => e.SubjectUserId == employee.Id);
    }

    [Fact]
    public async Task An_unescaped_control_character_in_the_json_is_a_problem_too()
    {
        // JSON forbids raw control characters in strings, so the parser refuses before the converter sees them.
        var body = new StringContent("{\"email\":\"ann\u0000@example.test\",\"password\":\"x\",\"client\":\"mobile\"}", Encoding.UTF8,
            "application/json");

        await ProblemAsync(await Client.PostAsync("/api/auth/login", body), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Theory]
    [MemberData(nameof(Controls))]
    public async Task A_control_character_in_a_password_is_refused_before_it_is_checked(string control)
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);

        await RefusedAsync(await LoginAsync(employee.Email, Password + control), "password");

        // Not judged as a wrong password: nothing counted towards the lockout.
        await using var db = NewDbContext();
        var key = Auth.SignInThrottles.ForEmail(employee.NormalizedEmail);
        Assert.False(await db.SignInThrottles.AnyAsync(t => t.Key == key));
    }

    [Fact]
    public async Task A_control_character_in_a_display_name_is_refused_on_create_and_update()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateUserAsync(organisation, UserRole.Admin);
        var employee = await CreateUserAsync(organisation, UserRole.Employee);
        using var client = ClientFor(admin);

        await RefusedAsync(await client.PostAsJsonAsync("/api/users",
            new { email = "new-user@example.test", displayName = "New\0User", role = "Employee" }), "displayName");
        await RefusedAsync(await client.PutAsJsonAsync($"/api/users/{employee.Id}",
            new { displayName = "Line\r\nBreak", role = "Employee" }), "displayName");

        await using var db = NewDbContext();
        Assert.False(await db.Users.AnyAsync(u => u.Email == "new-user@example.test"));
        Assert.Equal(employee.DisplayName, (await db.Users.SingleAsync(u => u.Id == employee.Id)).DisplayName);
    }

    [Theory]
    [InlineData("%00")]
    [InlineData("ann%0Aann")]
    [InlineData("%7F")]
    [InlineData("%C2%85")]
    public async Task A_control_character_in_the_search_query_is_refused(string search)
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateUserAsync(organisation, UserRole.Admin);
        using var client = ClientFor(admin);

        var problem = await RefusedAsync(await client.GetAsync($"/api/users?search={search}"), "search");

        Assert.Contains("'search'", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_control_character_in_a_route_value_is_refused_not_answered_404()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateUserAsync(organisation, UserRole.Admin);
        using var client = ClientFor(admin);

        await RefusedAsync(await client.GetAsync("/api/users/%01"), "path");
    }

    [Fact]
    public async Task A_control_character_deep_in_a_json_import_names_the_row_and_field()
    {
        var organisation = await CreateOrganisationAsync(configure: o => o.LinkedDatabase = true);
        var admin = await CreateUserAsync(organisation, UserRole.Admin);
        using var client = ClientFor(admin);

        await RefusedAsync(await client.PostAsJsonAsync("/api/users/import", new
        {
            fullSync = false,
            users = new[]
            {
                new { email = "ann@example.test", displayName = "Ann", role = "Employee", phone = (string?)null },
                new { email = "bob@example.test", displayName = "Bob\u0007", role = "Employee", phone = (string?)null },
            },
        }), "users[1].displayName");

        await using var db = NewDbContext();
        Assert.False(await db.Users.AnyAsync(u => u.Email == "ann@example.test"));
    }

    [Theory]
    [InlineData("email,displayName,role\r\nann@example.test,Ann,Employee\r\nbob@example.test,Bob\0,Employee\r\n", 1, "displayName")]
    [InlineData("email,displayName,role\nann@example.test,\"Ann\nSmith\",Employee\n", 0, "displayName")]
    [InlineData("email,displayName,role,phone\nann@example.test,Ann,Employee,+31612345678\u007F\n", 0, "phone")]
    [InlineData("email,displayName,role\nann@example.test\t,Ann,Employee\n", 0, "email")]
    public async Task A_control_character_in_a_csv_field_is_refused_with_its_row_and_column(string csv, int row, string column)
    {
        var organisation = await CreateOrganisationAsync(configure: o => o.LinkedDatabase = true);
        var admin = await CreateUserAsync(organisation, UserRole.Admin);
        using var client = ClientFor(admin);

        var problem = await RefusedAsync(await client.PostAsync("/api/users/import/csv", new StringContent(csv, Encoding.UTF8, "text/csv")),
            column);

        Assert.Equal(row, problem.GetProperty("row").GetInt32());
        Assert.Contains($"The {column} of data row {row}", problem.GetProperty("detail").GetString());
        await using var db = NewDbContext();
        Assert.False(await db.Users.AnyAsync(u => u.Email == "ann@example.test"));
    }

    [Fact]
    public async Task Ordinary_non_ascii_text_still_works_everywhere()
    {
        var organisation = await CreateOrganisationAsync(configure: o => o.LinkedDatabase = true);
        var admin = await CreateUserAsync(organisation, UserRole.Admin);
        using var client = ClientFor(admin);
        const string csv =
            "email,displayName,role\r\nbram@example.test,Bram van 't Hof,Employee\r\nzoe@example.test,\"Zoë Straße 🚲\",Employee\r\n";

        var imported = await JsonAsync(await client.PostAsync("/api/users/import/csv", new StringContent(csv, Encoding.UTF8, "text/csv")));
        Assert.Equal(2, imported.GetProperty("created").GetInt32());

        var found = await JsonAsync(await client.GetAsync($"/api/users?search={Uri.EscapeDataString("Straße 🚲")}"));
        Assert.Equal("Zoë Straße 🚲", found.GetProperty("items").EnumerateArray().Single().GetProperty("displayName").GetString());
        found = await JsonAsync(await client.GetAsync($"/api/users?search={Uri.EscapeDataString("van 't")}"));
        Assert.Equal("Bram van 't Hof", found.GetProperty("items").EnumerateArray().Single().GetProperty("displayName").GetString());

        var other = await CreateOrganisationAsync("Other");
        var otherAdmin = await CreateUserAsync(other, UserRole.Admin);
        using var otherClient = ClientFor(otherAdmin);
        const string password = "wachtwoord-é-ß-😀-Ünïcode";
        var created = await JsonAsync(await otherClient.PostAsJsonAsync("/api/users",
            new { email = "jose@example.test", displayName = "José Ñúñez", role = "Employee", password }), HttpStatusCode.Created);
        Assert.Equal("José Ñúñez", created.GetProperty("displayName").GetString());
        var renamed = await JsonAsync(await otherClient.PutAsJsonAsync($"/api/users/{created.GetProperty("id").GetGuid()}",
            new { displayName = "Bram van 't Hof 🇳🇱", role = "Employee" }));
        Assert.Equal("Bram van 't Hof 🇳🇱", renamed.GetProperty("displayName").GetString());

        var signedIn = await JsonAsync(await LoginAsync("jose@example.test", password));
        Assert.Equal("signed_in", signedIn.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_openapi_document_still_describes_strings_as_strings()
    {
        // The refusing converter hides the string type from the schema generator unless it is restored.
        var schemas = JsonDocument.Parse(await Client.GetStringAsync("/openapi/v1.json")).RootElement.GetProperty("components")
            .GetProperty("schemas");

        Assert.Equal(["null", "string"], schemas.GetProperty("LoginRequest").GetProperty("properties").GetProperty("email")
            .GetProperty("type")
            .EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("string", schemas.GetProperty("UserDto").GetProperty("properties").GetProperty("email").GetProperty("type")
            .GetString());
        Assert.Equal("string", schemas.GetProperty("UpdateSettingsRequest").GetProperty("properties").GetProperty("allowedSmsCountries")
            .GetProperty("items").GetProperty("type").GetString());
    }
}
