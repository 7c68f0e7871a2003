using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlexWhere.Bench;

/// <summary>An SMS as the provider received it.</summary>
public sealed record ReceivedSms(string Body, DateTimeOffset At);

/// <summary>
/// Twilio's Messages API as the SDK sees it, on a Kestrel port of the bench's own: accepts every
/// message (201, a new SM sid) at once and notes when each destination's message arrived.
/// </summary>
public sealed class FakeTwilioServer : IAsyncDisposable
{
    /// <summary>A made-up account of the right shape, new each run (the Notifier checks the shape).</summary>
    public static readonly string AccountSid = "AC" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    public const string AuthToken = "bench-fake-auth-token";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, long> _arrivals = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<ReceivedSms>> _expected = new();
    private long _received;
    private long _target = long.MaxValue;
    private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FakeTwilioServer(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;
    public long Received => Interlocked.Read(ref _received);

    public static async Task<FakeTwilioServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeTwilioServer(app);
        app.MapPost("/2010-04-01/Accounts/{accountSid}/Messages.json", (Func<HttpContext, Task<IResult>>)server.HandleAsync);
        await app.StartAsync();
        server.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return server;
    }

    /// <summary>Completes when <paramref name="count"/> more messages than now have arrived.</summary>
    public Task WaitForAsync(long count, CancellationToken cancellationToken)
    {
        _reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _target, Received + count);
        if (Received >= Interlocked.Read(ref _target)) _reached.TrySetResult();
        return _reached.Task.WaitAsync(cancellationToken);
    }

    /// <summary>When (Stopwatch timestamp) the last message to <paramref name="to"/> arrived.</summary>
    public bool TryGetArrival(string to, out long timestamp) => _arrivals.TryGetValue(to, out timestamp);

    /// <summary>The next SMS to <paramref name="to"/>; call before the action that sends it.</summary>
    public Task<ReceivedSms> ExpectAsync(string to)
    {
        var waiter = new TaskCompletionSource<ReceivedSms>(TaskCreationOptions.RunContinuationsAsynchronously);
        _expected[to] = waiter;
        return waiter.Task;
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        var to = form["To"].ToString();
        _arrivals[to] = Stopwatch.GetTimestamp();
        if (_expected.TryRemove(to, out var waiter)) waiter.TrySetResult(new ReceivedSms(form["Body"].ToString(), DateTimeOffset.UtcNow));
        if (Interlocked.Increment(ref _received) >= Interlocked.Read(ref _target)) _reached.TrySetResult();
        return Results.Json(new Dictionary<string, object?>
        {
            ["sid"] = $"SM{Guid.NewGuid():N}",
            ["status"] = "queued",
            ["to"] = to,
            ["num_segments"] = "1",
        }, statusCode: 201);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
