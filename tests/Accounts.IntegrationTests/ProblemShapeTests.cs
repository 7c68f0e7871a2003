using System.Net;
using System.Text;
using System.Text.Json;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>
/// One problem shape (docs/problems.md): every refused body answers 400 validation_failed with errors
/// naming the field, whether the JSON does not parse, a value has the wrong type, a field is missing or
/// too long; and every refusal, the framework's own included, carries a code.
/// </summary>
[Collection(PostgresCollection.Name)]
public class ProblemShapeTests(PostgresServer postgres, AccountsClassHost host, RabbitMqServer rabbitMq)
    : AccountsTestBase(postgres, host, rabbitMq)
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<JsonElement> ErrorsAsync(HttpResponseMessage response)
    {
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        return problem.GetProperty("errors");
    }

    private static string[] Messages(JsonElement errors, string field)
    {
        var entry = errors.EnumerateObject().SingleOrDefault(e => string.Equals(e.Name, field, StringComparison.OrdinalIgnoreCase));
        Assert.True(entry.Value.ValueKind == JsonValueKind.Array, $"No errors for '{field}' in {errors}");
        return [.. entry.Value.EnumerateArray().Select(m => m.GetString()!)];
    }

    [Fact]
    public async Task A_body_that_is_not_json_names_the_body()
    {
        var errors = await ErrorsAsync(await Client.PostAsync("/api/auth/login", Json("{\"email\": \"ann@example.test\", ")));

        Assert.Contains("JSON", Messages(errors, "body").Single());
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_names_its_field()
    {
        var errors = await ErrorsAsync(await Client.PostAsync("/api/auth/login",
            Json("{\"email\": 42, \"password\": \"x\", \"client\": \"mobile\"}")));

        Assert.NotEmpty(Messages(errors, "email"));
    }

    [Fact]
    public async Task A_missing_field_is_named_by_the_request_validation()
    {
        var errors = await ErrorsAsync(await Client.PostAsync("/api/auth/login",
            Json("{\"email\": \"ann@example.test\", \"password\": \"x\"}")));

        Assert.Contains(Messages(errors, "client"), m => m.Contains("control-centre", StringComparison.Ordinal));
        Assert.Contains(errors.EnumerateObject(), field => field.Name == "client"); // the JSON name, as sent
    }

    [Fact]
    public async Task A_field_over_its_length_is_named()
    {
        var errors = await ErrorsAsync(await LoginAsync(new string('a', 250) + "@example.test"));

        Assert.Contains(Messages(errors, "email"), m => m.Contains("254", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_value_outside_the_allowed_ones_is_named()
    {
        var errors = await ErrorsAsync(await LoginAsync("ann@example.test", client: "desktop"));

        Assert.NotEmpty(Messages(errors, "client"));
    }

    [Fact]
    public async Task No_body_at_all_names_the_body()
    {
        var errors = await ErrorsAsync(await Client.PostAsync("/api/auth/login", Json("")));

        Assert.NotEmpty(Messages(errors, "body"));
    }

    // Each optional query value that does not bind: the runtime's binding throws for these (ThrowOnBadRequest) and
    // RequestValidation names the parameter; code generated at build time would answer a bare 400 for them
    // (docs/benchmarks.md, "Routes bound at build time").
    [Theory]
    [InlineData("/api/users", "page=1&pageSize=1000", "pageSize")] // a hand-written check
    [InlineData("/api/users", "page=first", "page")] // a query value that does not bind
    [InlineData("/api/audit", "pageSize=ten", "pageSize")]
    [InlineData("/api/audit", "userId=not-a-guid", "userId")]
    [InlineData("/api/audit", "from=yesterday", "from")]
    [InlineData("/api/audit/export.csv", "to=soon", "to")]
    public async Task A_refused_query_names_its_parameter(string path, string query, string parameter)
    {
        using var client = ClientFor(await CreateUserAsync(await CreateOrganisationAsync(), UserRole.Admin));

        var errors = await ErrorsAsync(await client.GetAsync($"{path}?{query}"));

        Assert.NotEmpty(Messages(errors, parameter));
    }

    public static TheoryData<string, string, string?, HttpStatusCode, string> Refusals => new()
    {
        { "GET", "/api/no-such-route", null, HttpStatusCode.NotFound, "not_found" },
        { "DELETE", "/api/auth/login", null, HttpStatusCode.MethodNotAllowed, "method_not_allowed" },
        { "GET", "/api/me", null, HttpStatusCode.Unauthorized, "unauthorized" },
        { "POST", "/api/auth/login", "{\"email\":\"nobody@example.test\",\"password\":\"x\",\"client\":\"mobile\"}",
            HttpStatusCode.Unauthorized, "invalid_credentials" },
        { "POST", "/api/auth/login", "{\"email\":\"jdoe\",\"password\":\"x\",\"client\":\"mobile\"}",
            HttpStatusCode.BadRequest, "username_login_disabled" },
        { "POST", "/api/auth/login", new string(' ', 70 * 1024), HttpStatusCode.RequestEntityTooLarge, "payload_too_large" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Every_refusal_carries_a_code_and_a_trace_id(
        string method, string path, string? body, HttpStatusCode status, string code)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body is null ? null : Json(body) };

        var problem = await ProblemAsync(await Client.SendAsync(request), status, code);

        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("traceId").GetString()));
    }

    [Fact]
    public async Task The_openapi_document_describes_problems_as_problem_json()
    {
        using var document = JsonDocument.Parse(await Client.GetStringAsync("/openapi/v1.json"));

        var responses = document.RootElement.GetProperty("paths").GetProperty("/api/auth/login").GetProperty("post")
            .GetProperty("responses");
        Assert.True(responses.GetProperty("400").GetProperty("content").TryGetProperty("application/problem+json", out _),
            responses.ToString());
    }

    [Fact]
    public async Task A_locked_account_says_how_long_to_wait_in_the_header_and_the_body_alike()
    {
        var organisation = await CreateOrganisationAsync();
        var employee = await CreateUserAsync(organisation, UserRole.Employee);
        HttpResponseMessage response;
        var attempts = 0;
        do
        {
            response = await LoginAsync(employee.Email, "wrong password");
        }
        while (response.StatusCode != HttpStatusCode.TooManyRequests && ++attempts < 200);

        var problem = await ProblemAsync(response, HttpStatusCode.TooManyRequests, "account_locked");
        Assert.NotNull(response.Headers.RetryAfter?.Delta);
        Assert.Equal(response.Headers.RetryAfter!.Delta!.Value.TotalSeconds, problem.GetProperty("retryAfterSeconds").GetInt64());
    }
}
