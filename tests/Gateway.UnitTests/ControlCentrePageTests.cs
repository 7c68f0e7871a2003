using System.Net;
using System.Text.RegularExpressions;
using FlexWhere.Gateway.ControlCentre;

namespace FlexWhere.Gateway.UnitTests;

/// <summary>The Control Centre page, built into the Gateway's wwwroot by its build, served at / on the API's origin.</summary>
public sealed partial class ControlCentrePageTests
{
    [Fact]
    public async Task Serves_the_page_at_the_root_with_a_policy_that_allows_only_its_own_scripts_and_styles()
    {
        using var gateway = GatewayFactory.WithoutDependencies();
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Equal(ControlCentrePage.ContentSecurityPolicy, policy);
        Assert.Contains("script-src 'self'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);
        Assert.DoesNotContain("unsafe-eval", policy);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<title>FlexWhere Control Centre</title>", html);
        // Every script is a file from the page's own origin: nothing inline for the policy to allow.
        var scripts = ScriptTag().Matches(html);
        Assert.NotEmpty(scripts);
        Assert.All(scripts, script => Assert.Matches("src=\"/assets/[^\"]+\\.js\"", script.Value));
        Assert.DoesNotContain(" style=", html);
    }

    [Theory]
    [InlineData("/settings")]
    [InlineData("/users/42")]
    public async Task Serves_the_page_for_other_page_paths_so_a_reload_or_a_link_keeps_working(string path)
    {
        using var gateway = GatewayFactory.WithoutDependencies();
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<title>FlexWhere Control Centre</title>", await response.Content.ReadAsStringAsync());
        Assert.Equal(ControlCentrePage.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Theory]
    [InlineData("/api/no-such-thing")]
    [InlineData("/api/bookings/today")]
    [InlineData("/dev/nothing")]
    [InlineData("/internal/challenges")]
    [InlineData("/assets/missing.js")]
    public async Task Keeps_the_problem_json_404_for_api_service_and_missing_file_paths(string path)
    {
        using var gateway = GatewayFactory.WithoutDependencies();
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"code\":\"not_found\"", await response.Content.ReadAsStringAsync());
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task Does_not_answer_a_post_to_a_page_path_with_the_page()
    {
        using var gateway = GatewayFactory.WithoutDependencies();
        using var client = gateway.CreateClient();

        using var response = await client.PostAsync("/settings", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Serves_the_hashed_script_cacheable_for_a_year_and_the_page_revalidated()
    {
        using var gateway = GatewayFactory.WithoutDependencies();
        using var client = gateway.CreateClient();
        using var page = await client.GetAsync("/");
        var script = ScriptSource().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value;

        using var response = await client.GetAsync(script);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.Public);
        Assert.Equal(TimeSpan.FromDays(365), response.Headers.CacheControl?.MaxAge);
        Assert.Contains("immutable", response.Headers.CacheControl?.ToString());
        Assert.True(page.Headers.CacheControl?.NoCache);
    }

    [GeneratedRegex("<script[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptTag();

    [GeneratedRegex("<script[^>]*src=\"([^\"]+)\"", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptSource();
}
