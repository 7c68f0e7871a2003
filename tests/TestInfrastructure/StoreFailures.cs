using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Xunit;

namespace FlexWhere.Testing;

/// <summary>What the Redis client throws when its store does not answer, and a service's exception handler run on each.
/// Besides the client's own exceptions, a connection that a dying node resets reaches the request as the socket
/// library's <see cref="Pipelines.Sockets.Unofficial.ConnectionResetException"/> (a Challenges request answered 500 that
/// way when a Redis Cluster primary was killed).</summary>
public static class StoreFailures
{
    public static TheoryData<Exception> FromTheRedisClient() =>
    [
        new RedisConnectionException(ConnectionFailureType.SocketFailure, "the node went away"),
        new RedisTimeoutException("no answer in time", CommandStatus.Sent),
        new Pipelines.Sockets.Unofficial.ConnectionResetException("Connection reset by peer"),
    ];

    /// <summary>The handler's answer to <paramref name="failure"/>: whether it handled it, and if so the status, whether
    /// Retry-After was set, and the problem's <c>code</c>.</summary>
    public static async Task<(bool Handled, int Status, bool RetryAfter, string? Code)> HandleAsync(IExceptionHandler handler,
        Exception failure)
    {
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider(),
            Response = { Body = new MemoryStream() },
        };
        if (!await handler.TryHandleAsync(context, failure, CancellationToken.None)) return (false, 0, false, null);

        context.Response.Body.Position = 0;
        using var problem = await JsonDocument.ParseAsync(context.Response.Body);
        return (true, context.Response.StatusCode, context.Response.Headers.ContainsKey("Retry-After"),
            problem.RootElement.GetProperty("code").GetString());
    }
}

/// <summary>A Redis-backed service's handler for its store not answering: every failure of <see cref="StoreFailures"/> is a
/// 503 with Retry-After and the service's problem <paramref name="code"/>; anything else is left to the general handler.</summary>
public abstract class StoreUnavailableHandlerTests(IExceptionHandler handler, string code)
{
    [Theory]
    [MemberData(nameof(StoreFailures.FromTheRedisClient), MemberType = typeof(StoreFailures))]
    public async Task A_store_failure_is_answered_503_with_retry_after_and_the_services_problem_code(Exception failure) =>
        Assert.Equal((true, 503, true, code), await StoreFailures.HandleAsync(handler, failure));

    [Fact]
    public async Task Any_other_failure_is_left_to_the_general_handler() =>
        Assert.False((await StoreFailures.HandleAsync(handler, new InvalidOperationException("a bug"))).Handled);
}
