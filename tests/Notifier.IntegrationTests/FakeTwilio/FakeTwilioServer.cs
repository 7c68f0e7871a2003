using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlexWhere.Notifier.IntegrationTests.FakeTwilio;

/// <summary>How the fake answers one request to the Messages API.</summary>
public abstract record FakeReply
{
    public sealed record Accept : FakeReply;
    public sealed record TooManyRequests(int RetryAfterSeconds) : FakeReply;
    public sealed record ServerError : FakeReply;
    public sealed record Hang : FakeReply;
    public sealed record Refuse(int Code, int Status = 400) : FakeReply;
}

/// <summary>One request the fake received: its form fields and when.</summary>
public sealed record FakeRequest(IReadOnlyDictionary<string, string> Form, string? Authorization, DateTimeOffset ReceivedAt);

/// <summary>
/// Twilio's Messages API as far as the SDK sees it, on a Kestrel port of its own: answers from a
/// script (then accepts), records every request, and can be slowed down to make sends overlap.
/// </summary>
public sealed class FakeTwilioServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<FakeReply> _script = new();
    private readonly ConcurrentQueue<FakeRequest> _requests = new();
    private readonly ConcurrentQueue<(string Sid, string To, string Body)> _accepted = new();

    private FakeTwilioServer(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>When no scripted reply is left: accept, or (with <see cref="AlwaysFailWith"/>) that reply.</summary>
    public FakeReply? AlwaysFailWith { get; set; }

    /// <summary>A pause before accepting, so two senders overlap.</summary>
    public TimeSpan AcceptDelay { get; set; }

    public IReadOnlyList<FakeRequest> Requests => [.. _requests];

    public int Calls => _requests.Count;

    /// <summary>The sids of the messages accepted so far, oldest first.</summary>
    public IReadOnlyList<string> AcceptedSids => [.. _accepted.Select(message => message.Sid)];

    /// <summary>List requests (GET Messages.json) received.</summary>
    public int Lookups { get; private set; }

    /// <summary>How many of the next list requests fail with 500 (Twilio code 20500).</summary>
    public int FailLookups { get; set; }

    public void Script(params FakeReply[] replies)
    {
        foreach (var reply in replies) _script.Enqueue(reply);
    }

    public static async Task<FakeTwilioServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeTwilioServer(app);
        app.MapPost("/2010-04-01/Accounts/{accountSid}/Messages.json", (Func<HttpContext, Task<IResult>>)server.HandleAsync);
        app.MapGet("/2010-04-01/Accounts/{accountSid}/Messages.json", (Func<HttpContext, IResult>)server.List);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address);
        return server;
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        _requests.Enqueue(new FakeRequest(
            form.ToDictionary(field => field.Key, field => field.Value.ToString()),
            context.Request.Headers.Authorization.ToString(),
            DateTimeOffset.UtcNow));

        var reply = _script.TryDequeue(out var scripted) ? scripted : AlwaysFailWith ?? new FakeReply.Accept();
        switch (reply)
        {
            case FakeReply.TooManyRequests tooMany:
                context.Response.Headers.RetryAfter = tooMany.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Error(20429, 429, "Too Many Requests");
            case FakeReply.ServerError:
                return Error(20500, 500, "Internal Server Error");
            case FakeReply.Hang:
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return Results.Empty;
            case FakeReply.Refuse refuse:
                return Error(refuse.Code, refuse.Status, $"Refused with {refuse.Code}");
            default:
                if (AcceptDelay > TimeSpan.Zero) await Task.Delay(AcceptDelay);
                var sid = $"SM{Guid.NewGuid():N}";
                _accepted.Enqueue((sid, form["To"].ToString(), form["Body"].ToString()));
                return Results.Json(new Dictionary<string, object?>
                {
                    ["sid"] = sid,
                    ["status"] = "queued",
                    ["to"] = form["To"].ToString(),
                    ["body"] = form["Body"].ToString(),
                    ["num_segments"] = "1",
                }, statusCode: 201);
        }
    }

    /// <summary>The accepted messages to one number, newest first, in Twilio's list shape.</summary>
    private IResult List(HttpContext context)
    {
        Lookups++;
        if (FailLookups > 0)
        {
            FailLookups--;
            return Error(20500, 500, "Internal Server Error");
        }

        var to = context.Request.Query["To"].ToString();
        var messages = _accepted.Reverse().Where(message => message.To == to)
            .Select(message => new Dictionary<string, object?> { ["sid"] = message.Sid, ["to"] = message.To, ["body"] = message.Body, ["status"] = "queued" })
            .ToArray();
        var uri = $"{context.Request.Path}{context.Request.QueryString}";
        return Results.Json(new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["first_page_uri"] = uri,
            ["next_page_uri"] = null,
            ["previous_page_uri"] = null,
            ["page"] = 0,
            ["page_size"] = messages.Length,
            ["uri"] = uri,
        });
    }

    private static IResult Error(int code, int status, string message) =>
        Results.Json(new Dictionary<string, object?>
        {
            ["code"] = code,
            ["message"] = message,
            ["more_info"] = $"https://www.twilio.com/docs/errors/{code}",
            ["status"] = status,
        }, statusCode: status);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
