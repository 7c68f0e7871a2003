using System.Text.Json;
using FlexWhere.Challenges.Apis;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace FlexWhere.Challenges.UnitTests;

/// <summary>
/// Redis not answering is a 503 <c>challenges_unavailable</c>, whatever the client throws. A clean-clone run's Redis
/// Cluster failover answered a create with 500: the killed node's reset connection surfaced as the socket library's
/// <see cref="Pipelines.Sockets.Unofficial.ConnectionResetException"/>, which the handler did not know.
/// </summary>
public class StoreFailureTests
{
    public static TheoryData<Exception> StoreFailures() =>
    [
        new RedisConnectionException(ConnectionFailureType.SocketFailure, "the node went away"),
        new RedisTimeoutException("no answer in time", CommandStatus.Sent),
        new Pipelines.Sockets.Unofficial.ConnectionResetException("Connection reset by peer"),
    ];

    [Theory]
    [MemberData(nameof(StoreFailures))]
    public async Task A_store_failure_is_answered_503_challenges_unavailable_with_retry_after(Exception failure)
    {
        var context = NewContext();

        var handled = await new StoreUnavailableHandler(NullLogger<StoreUnavailableHandler>.Instance)
            .TryHandleAsync(context, failure, CancellationToken.None);

        Assert.True(handled);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
        Assert.True(context.Response.Headers.ContainsKey("Retry-After"));
        context.Response.Body.Position = 0;
        using var problem = await JsonDocument.ParseAsync(context.Response.Body);
        Assert.Equal("challenges_unavailable", problem.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Any_other_failure_is_left_to_the_general_handler()
    {
        var handled = await new StoreUnavailableHandler(NullLogger<StoreUnavailableHandler>.Instance)
            .TryHandleAsync(NewContext(), new InvalidOperationException("a bug"), CancellationToken.None);

        Assert.False(handled);
    }

    private static DefaultHttpContext NewContext() => new()
    {
        RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider(),
        Response = { Body = new MemoryStream() },
    };
}
