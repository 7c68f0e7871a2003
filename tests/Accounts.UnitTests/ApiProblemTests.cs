using System.Text.Json;
using FlexWhere.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FlexWhere.Accounts.UnitTests;

/// <summary>The one problem type (ServiceDefaults): one Retry-After rule, and the members every writer sends.</summary>
public sealed class ApiProblemTests
{
    [Theory]
    [InlineData(-5_000, 1)]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(999, 1)]
    [InlineData(1_000, 1)]
    [InlineData(1_001, 2)]
    [InlineData(4_200, 5)]
    [InlineData(59_500, 60)]
    [InlineData(900_000, 900)]
    public void Retry_after_is_whole_seconds_rounded_up_and_at_least_one(int milliseconds, long seconds) =>
        Assert.Equal(seconds, ApiProblem.RetryAfterSeconds(TimeSpan.FromMilliseconds(milliseconds)));

    [Fact]
    public async Task The_header_and_the_member_say_the_same_wait()
    {
        var (http, problem) = await WriteAsync(
            new ApiProblem(StatusCodes.Status429TooManyRequests, ProblemCodes.AccountLocked, "Locked.", "Wait.")
            .With("lockedUntil", "2026-01-01T00:00:00Z")
            .WithRetryAfter(TimeSpan.FromSeconds(1.2)));

        Assert.Equal(429, http.Response.StatusCode);
        Assert.Equal("2", http.Response.Headers.RetryAfter.ToString());
        Assert.Equal(2, problem.GetProperty("retryAfterSeconds").GetInt64());
        Assert.Equal("account_locked", problem.GetProperty("code").GetString());
        Assert.Equal("2026-01-01T00:00:00Z", problem.GetProperty("lockedUntil").GetString());
        Assert.Equal("application/problem+json", http.Response.ContentType);
    }

    [Fact]
    public async Task Without_a_wait_there_is_neither_header_nor_member()
    {
        var (http, problem) = await WriteAsync(
            new ApiProblem(StatusCodes.Status409Conflict, ProblemCodes.EmailTaken, "Taken.", "Use another."));

        Assert.False(http.Response.Headers.ContainsKey("Retry-After"));
        Assert.False(problem.TryGetProperty("retryAfterSeconds", out _));
    }

    [Fact]
    public async Task A_validation_problem_names_its_fields_in_errors_and_says_them_in_the_detail()
    {
        var (http, problem) = await WriteAsync(ApiProblem.Validation("pageSize", "pageSize is 1 to 100."));

        Assert.Equal(400, http.Response.StatusCode);
        Assert.Equal("validation_failed", problem.GetProperty("code").GetString());
        Assert.Equal("pageSize is 1 to 100.", problem.GetProperty("errors").GetProperty("pageSize")[0].GetString());
        Assert.Equal("pageSize is 1 to 100.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_extension_cannot_replace_the_code()
    {
        var (_, problem) = await WriteAsync(new ApiProblem(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, "No.")
            .With("code", "other"));

        Assert.Equal("forbidden", problem.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData(400, "validation_failed")]
    [InlineData(404, "not_found")]
    [InlineData(429, "rate_limited")]
    [InlineData(503, "service_unavailable")]
    [InlineData(500, "internal_error")]
    public void A_status_without_a_named_code_gets_the_generic_one(int status, string code) =>
        Assert.Equal(code, ProblemCodes.ForStatus(status));

    private static async Task<(HttpContext Http, JsonElement Problem)> WriteAsync(ApiProblem problem)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var http = new DefaultHttpContext { RequestServices = services };
        http.Request.Headers.Accept = "application/json";
        http.Response.Body = new MemoryStream();

        await problem.WriteAsync(http);

        http.Response.Body.Position = 0;
        return (http, (await JsonDocument.ParseAsync(http.Response.Body)).RootElement.Clone());
    }
}
