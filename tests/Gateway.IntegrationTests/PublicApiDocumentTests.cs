using System.Net;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using FlexWhere.Testing;
using Microsoft.OpenApi;

namespace FlexWhere.Gateway.IntegrationTests;

/// <summary>
/// The one public OpenAPI document the Gateway merges from the services behind it: what it routes and
/// nothing else, with the bearer scheme, and still a document when a service does not answer.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class PublicApiDocumentTests(RedisServer redis) : IAsyncLifetime
{
    // Shaped like ASP.NET Core's own output. Accounts and the Notifier each have a ProblemDetails of
    // their own, so the merge has to keep them apart.
    private static readonly string AccountsDocument = Document("Accounts", paths: """
        "/api/auth/login": { "post": {
          "tags": ["Accounts"],
          "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/LoginRequest" } } } },
          "responses": {
            "200": { "description": "OK" },
            "401": { "description": "Unauthorized",
              "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/ProblemDetails" } } } } } } },
        "/api/users/{id}": { "get": {
          "tags": ["Accounts"],
          "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } } ],
          "responses": { "200": { "description": "OK",
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/UserView" } } } } } } },
        "/api/users": { "summary": "Users", "get": { "tags": ["Accounts"], "responses": { "200": { "description": "OK" } } } },
        "/api/auth/step-up": { "post": {
          "tags": ["Accounts"], "security": [ { "Bearer": [] } ], "responses": { "200": { "description": "OK" } } } },
        "/api/not-routed": { "get": { "responses": { "200": { "description": "OK" } } } }
        """, schemas: """
        "LoginRequest": { "type": "object", "properties": { "email": { "type": "string" }, "password": { "type": "string" } } },
        "UserView": { "type": "object", "properties": { "role": { "$ref": "#/components/schemas/Role" } } },
        "Role": { "enum": ["Admin", "Manager", "Employee"] },
        "ProblemDetails": { "type": "object", "properties": { "code": { "type": "string" }, "title": { "type": "string" } } },
        "OnlyUsedByTheUnroutedPath": { "type": "object" }
        """);

    private static readonly string ChallengesDocument = Document("Challenges", paths: """
        "/internal/challenges": { "post": { "responses": { "201": { "description": "Created" } } } },
        "/api/challenges/{challengeId}/verify": { "post": { "responses": { "200": { "description": "OK" } } } }
        """, schemas: "");

    private static readonly string NotifierDocument = Document("Notifier", paths: """
        "/api/notifier/twilio/status": { "post": { "tags": ["Notifier"], "responses": { "204": { "description": "No Content" },
          "403": { "description": "Forbidden",
            "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/ProblemDetails" } } } } } } }
        """, schemas: """
        "ProblemDetails": { "type": "object", "properties": { "detail": { "type": "string" } } }
        """);

    private const string Bearer = "Bearer";
    private const string Unavailable = "x-flexwhere-unavailable-services";

    private GatewayStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = await GatewayStack.StartAsync(redis.ConnectionString);
        _stack.Services["accounts"].OpenApiDocument = AccountsDocument;
        _stack.Services["challenges"].OpenApiDocument = ChallengesDocument;
        _stack.Services["notifier"].OpenApiDocument = NotifierDocument;
    }

    [Fact]
    public async Task Merges_the_routed_paths_of_every_service_and_nothing_else()
    {
        var document = await GetDocumentAsync();
        var paths = document["paths"]!.AsObject().Select(path => path.Key).Order();

        Assert.Equal(["/api/auth/login", "/api/auth/step-up", "/api/notifier/twilio/status", "/api/users", "/api/users/{id}"],
            paths);
        Assert.Null(document[Unavailable]);
        var schemas = document["components"]!["schemas"]!.AsObject().Select(schema => schema.Key).Order();
        Assert.Equal(["LoginRequest", "NotifierProblemDetails", "ProblemDetails", "Role", "UserView"], schemas);
        Assert.Equal("#/components/schemas/NotifierProblemDetails",
            document["paths"]!["/api/notifier/twilio/status"]!["post"]!["responses"]!["403"]!["content"]!["application/problem+json"]!
                ["schema"]!["$ref"]!.GetValue<string>());
        AssertEveryReferenceResolves(document);
        // Challenges publishes nothing, so its group does not show.
        Assert.Equal(["Accounts", "Notifier"], document["tags"]!.AsArray().Select(tag => tag!["name"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task Never_lists_an_internal_path()
    {
        var document = await GetDocumentAsync();

        Assert.DoesNotContain(document["paths"]!.AsObject(), path => path.Key.Contains("internal", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("/internal", document.ToJsonString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Declares_the_bearer_scheme_and_marks_which_operations_need_no_token()
    {
        var document = await GetDocumentAsync();

        var bearer = document["components"]!["securitySchemes"]![Bearer]!;
        Assert.Equal("http", bearer["type"]!.GetValue<string>());
        Assert.Equal("bearer", bearer["scheme"]!.GetValue<string>());
        Assert.Equal("JWT", bearer["bearerFormat"]!.GetValue<string>());
        // A protected route needs the token, and so does what the service itself protects behind an open
        // route; the sign-in and the signed callback are open.
        Assert.NotNull(document["paths"]!["/api/users/{id}"]!["get"]!["security"]![0]![Bearer]);
        Assert.NotNull(document["paths"]!["/api/auth/step-up"]!["post"]!["security"]![0]![Bearer]);
        Assert.Empty(document["paths"]!["/api/auth/login"]!["post"]!["security"]!.AsArray());
        Assert.Empty(document["paths"]!["/api/notifier/twilio/status"]!["post"]!["security"]!.AsArray());
    }

    [Fact]
    public async Task Is_a_valid_openapi_document()
    {
        using var response = await _stack.Client.GetAsync("/openapi/v1.json");
        var json = await response.Content.ReadAsStringAsync();

        var result = OpenApiDocument.Parse(json, "json");

        Assert.Empty(result.Diagnostic?.Errors ?? []);
        Assert.Equal(5, result.Document!.Paths.Count);
    }

    [Fact]
    public async Task Leaves_out_a_service_that_does_not_answer_and_says_so()
    {
        await _stack.Services["notifier"].StopAsync();

        using var response = await _stack.Client.GetAsync("/openapi/v1.json");
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["/api/auth/login", "/api/auth/step-up", "/api/users", "/api/users/{id}"],
            document["paths"]!.AsObject().Select(path => path.Key).Order());
        Assert.Equal(["notifier"], document[Unavailable]!.AsArray().Select(name => name!.GetValue<string>()));
        Assert.Contains("notifier", document["info"]!["description"]!.GetValue<string>());
        AssertEveryReferenceResolves(document);
    }

    [Fact]
    public async Task Waits_longer_than_a_readiness_probe_for_a_service_that_builds_its_document_slowly()
    {
        // A service builds its document on the first request; on a busy machine Accounts took more than
        // the five seconds a probe allows, and the document came out without its paths.
        _stack.Services["accounts"].OpenApiDelay = TimeSpan.FromSeconds(6);

        var document = await GetDocumentAsync();

        Assert.Null(document[Unavailable]);
        Assert.Contains("/api/auth/login", document["paths"]!.AsObject().Select(path => path.Key));
    }

    [Fact]
    public async Task Asks_the_services_again_only_after_a_while()
    {
        await GetDocumentAsync();
        await GetDocumentAsync();

        Assert.Single(_stack.Services["accounts"].Received, request => request.Path == "/openapi/v1.json");
    }

    [Fact]
    public async Task Is_served_without_a_token_and_counted_per_client_address()
    {
        using var response = await _stack.Client.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        // The Gateway's own answer, not a service's: its security headers are on it too.
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Serves_scalar_in_development_with_a_policy_that_allows_only_its_own_scripts()
    {
        // The address the README gives; Scalar shows the one document there.
        using var page = await _stack.Client.GetAsync("/scalar");
        using var script = await _stack.Client.GetAsync("/scalar/scalar.js");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        var policy = page.Headers.GetValues("Content-Security-Policy").Single();
        var nonce = Regex.Match(policy, "script-src 'self' 'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        Assert.Contains($"nonce=\"{nonce}\"", html);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.DoesNotContain("unsafe-eval", policy);
    }

    private static string Document(string service, string paths, string schemas) => $$"""
        {
          "openapi": "3.1.1",
          "info": { "title": "{{service}} | v1", "version": "1.0.0" },
          "paths": { {{paths}} },
          "components": { "schemas": { {{schemas}} } },
          "tags": [ { "name": "{{service}}" } ]
        }
        """;

    private async Task<JsonNode> GetDocumentAsync()
    {
        using var response = await _stack.Client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static void AssertEveryReferenceResolves(JsonNode document)
    {
        foreach (var reference in References(document))
        {
            var parts = reference.Split('/');
            Assert.True(parts is ["#", "components", _, _] && document["components"]?[parts[2]]?[parts[3]] is not null,
                $"{reference} does not resolve");
        }

        static IEnumerable<string> References(JsonNode? node) => node switch
        {
            JsonObject obj => obj.SelectMany(member =>
                member.Key == "$ref" ? [member.Value!.GetValue<string>()] : References(member.Value)),
            JsonArray array => array.SelectMany(References),
            _ => [],
        };
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();
}
