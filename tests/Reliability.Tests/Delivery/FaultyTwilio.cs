using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlexWhere.Reliability.Tests.Delivery;

/// <summary>
/// Twilio's Messages API (create and list) on a Kestrel port of its own, refusing a share of the
/// requests at random with 429 or 503 as a busy Twilio does. It counts what it accepted per
/// recipient: each test message has a recipient of its own, so the count is the provider-side truth
/// about duplicates.
/// </summary>
public sealed class FaultyTwilio : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly double _faultShare;
    private readonly Random _random;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Accepted>> _accepted = new();
    private long _faults;
    private long _lookups;

    private FaultyTwilio(WebApplication app, double faultShare, int seed)
    {
        _app = app;
        _faultShare = faultShare;
        _random = new Random(seed);
    }

    public sealed record Accepted(string Sid, string To, string Body);

    public Uri BaseUrl { get; private set; } = null!;

    public long Faults => Interlocked.Read(ref _faults);

    public long Lookups => Interlocked.Read(ref _lookups);

    public int AcceptedTotal => _accepted.Values.Sum(queue => queue.Count);

    /// <summary>How many messages the provider accepted for <paramref name="to"/>.</summary>
    public int AcceptedFor(string to) => _accepted.TryGetValue(to, out var queue) ? queue.Count : 0;

    public IEnumerable<Accepted> All => _accepted.Values.SelectMany(queue => queue);

    public static async Task<FaultyTwilio> StartAsync(double faultShare, int seed)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var twilio = new FaultyTwilio(app, faultShare, seed);
        app.MapPost("/2010-04-01/Accounts/{accountSid}/Messages.json", (Func<HttpContext, Task<IResult>>)twilio.CreateAsync);
        app.MapGet("/2010-04-01/Accounts/{accountSid}/Messages.json", (Func<HttpContext, IResult>)twilio.List);
        await app.StartAsync();
        twilio.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return twilio;
    }

    private bool NextIsFault(out bool tooMany)
    {
        lock (_random)
        {
            tooMany = _random.Next(2) == 0;
            return _random.NextDouble() < _faultShare;
        }
    }

    private async Task<IResult> CreateAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        if (NextIsFault(out var tooMany))
        {
            Interlocked.Increment(ref _faults);
            return Fault(context, tooMany);
        }

        var accepted = new Accepted($"SM{Guid.NewGuid():N}", form["To"].ToString(), form["Body"].ToString());
        _accepted.GetOrAdd(accepted.To, _ => new ConcurrentQueue<Accepted>()).Enqueue(accepted);
        return Results.Json(Resource(accepted), statusCode: 201);
    }

    private IResult List(HttpContext context)
    {
        Interlocked.Increment(ref _lookups);
        if (NextIsFault(out var tooMany))
        {
            Interlocked.Increment(ref _faults);
            return Fault(context, tooMany);
        }

        var to = context.Request.Query["To"].ToString();
        var messages = _accepted.TryGetValue(to, out var queue) ? queue.Reverse().Select(Resource).ToArray() : [];
        var uri = $"{context.Request.Path}{context.Request.QueryString}";
        return Results.Json(new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["first_page_uri"] = uri,
            ["next_page_uri"] = null,
            ["previous_page_uri"] = null,
            ["page"] = 0,
            ["page_size"] = messages.Length,
            ["start"] = 0,
            ["end"] = Math.Max(messages.Length - 1, 0),
            ["uri"] = uri,
        });
    }

    private static IResult Fault(HttpContext context, bool tooMany)
    {
        if (tooMany) context.Response.Headers.RetryAfter = "1";
        var (code, status) = tooMany ? (20429, 429) : (20503, 503);
        return Results.Json(new Dictionary<string, object?>
        {
            ["code"] = code,
            ["message"] = tooMany ? "Too Many Requests" : "Service Unavailable",
            ["more_info"] = $"https://www.twilio.com/docs/errors/{code}",
            ["status"] = status,
        }, statusCode: status);
    }

    private static Dictionary<string, object?> Resource(Accepted message) => new()
    {
        ["sid"] = message.Sid,
        ["status"] = "queued",
        ["to"] = message.To,
        ["body"] = message.Body,
        ["num_segments"] = "1",
        ["date_created"] = DateTimeOffset.UtcNow.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture),
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
