using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FlexWhere.EndToEndTests;

[Collection(AppHostCollection.Name)]
public class GatewayTests(AppHostFixture stack)
{
    [Fact]
    public async Task Every_service_is_healthy_behind_the_gateway()
    {
        using var response = await stack.Gateway.GetAsync("/health/downstream");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        foreach (var service in new[] { "accounts", "challenges", "notifier" })
        {
            Assert.Equal("Healthy", body.GetProperty("checks").GetProperty($"downstream-{service}").GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Publishes_one_merged_api_document_with_the_sign_in_routes_and_the_bearer_scheme()
    {
        var document = await stack.Gateway.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths").EnumerateObject().Select(path => path.Name).ToList();

        // First, so that a service left out is named rather than only its paths found missing.
        Assert.False(document.TryGetProperty("x-flexwhere-unavailable-services", out var missing), missing.ToString());
        Assert.Contains("/api/auth/login", paths);
        Assert.Contains("/api/auth/mfa/verify", paths);
        Assert.DoesNotContain(paths, path => !path.StartsWith("/api/", StringComparison.Ordinal) || path.Contains("/internal"));
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer")
            .GetProperty("scheme").GetString());
        // No service's internal address leaks through the document.
        Assert.False(document.TryGetProperty("servers", out var servers) && servers.GetArrayLength() > 0, servers.ToString());
        // Accounts marks what needs a token even behind the Gateway's open /api/auth route.
        Assert.Equal(0, Security(document, "/api/auth/login", "post").GetArrayLength());
        Assert.True(Security(document, "/api/auth/step-up", "post")[0].TryGetProperty("Bearer", out _));
        Assert.True(Security(document, "/api/users", "get")[0].TryGetProperty("Bearer", out _));

        static JsonElement Security(JsonElement document, string path, string method) =>
            document.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("security");
    }

    [Theory]
    [InlineData("/api/accounts/health")]
    [InlineData("/api/challenges/alive")]
    [InlineData("/openapi/v2.json")]
    [InlineData("/api/accounts/openapi/v1.json")]
    [InlineData("/api/challenges/openapi/v1.json")]
    [InlineData("/api/notifier/openapi/v1.json")]
    public async Task Keeps_the_services_own_endpoints_out_of_reach(string path)
    {
        using var response = await stack.Gateway.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"code\":\"not_found\"", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(null, "authentication_required")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl", "invalid_token")]
    public async Task Refuses_protected_routes_without_a_valid_token_before_they_reach_a_service(string? token, string code)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/users");
        if (token is not null) request.Headers.Authorization = new("Bearer", token);

        using var response = await stack.Gateway.SendAsync(request);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(code, problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Answers_the_control_centres_cors_preflight_and_sets_security_headers()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/me")
        {
            Headers =
            {
                { "Origin", "http://localhost:5173" },
                { "Access-Control-Request-Method", "GET" },
                { "Access-Control-Request-Headers", "authorization" },
            },
        };

        using var response = await stack.Gateway.SendAsync(preflight);
        using var health = await stack.Gateway.GetAsync("/health");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("http://localhost:5173", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("nosniff", health.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", health.Headers.GetValues("X-Frame-Options").Single());
        Assert.True(health.Headers.Contains("X-Correlation-Id"));
    }

    [Fact]
    public void Exposes_only_the_gateway_outside()
    {
        var external = stack.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<IResourceWithEndpoints>()
            .Where(resource => resource.Annotations.OfType<EndpointAnnotation>().Any(endpoint => endpoint.IsExternal))
            .Select(resource => resource.Name);

        Assert.Equal(["gateway"], external);
    }
}
