using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlexWhere.Testing.Twilio;

/// <summary>One request to send a message, as the fake received it.</summary>
public sealed record FakeRequest(IReadOnlyDictionary<string, string> Form, string? Authorization, DateTimeOffset ReceivedAt);

/// <summary>A message the fake accepted.</summary>
public sealed record FakeMessage(string Sid, string To, string Body, DateTimeOffset AcceptedAt);

/// <summary>
/// Twilio's Messages API as far as the SDK sees it (send: POST Messages.json; list by recipient: GET),
/// on a Kestrel port of its own. Every request gets the reply its <see cref="IFakeTwilioReplies"/>
/// decides; the fake records the send requests and the accepted messages. The Notifier's tests, the
/// reliability suite and the bench use it, each with its own reply policy.
/// </summary>
public sealed class FakeTwilio : IAsyncDisposable
{
    private const string Messages = "/2010-04-01/Accounts/{accountSid}/Messages.json";
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<FakeRequest> _requests = new();
    private readonly ConcurrentQueue<FakeMessage> _accepted = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<FakeMessage>> _acceptedByRecipient = new();
    private long _lookups;

    private FakeTwilio(WebApplication app, IFakeTwilioReplies replies) => (_app, Replies) = (app, replies);

    /// <summary>A made-up account of the right shape (the Notifier checks the shape).</summary>
    public static string NewAccountSid() => NewSid("AC");

    /// <summary>A made-up Messaging Service of the right shape.</summary>
    public static string NewMessagingServiceSid() => NewSid("MG");

    // Made at run time, so no SID-shaped value is kept in the repository.
    private static string NewSid(string prefix) =>
        prefix + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public IFakeTwilioReplies Replies { get; }

    public Uri BaseUrl { get; private set; } = null!;

    public IReadOnlyList<FakeRequest> Requests => [.. _requests];

    /// <summary>Send requests received, whatever the reply.</summary>
    public int Calls => _requests.Count;

    /// <summary>List requests received.</summary>
    public int Lookups => (int)Interlocked.Read(ref _lookups);

    /// <summary>The accepted messages, oldest first.</summary>
    public IReadOnlyList<FakeMessage> Accepted => [.. _accepted];

    public IReadOnlyList<string> AcceptedSids => [.. _accepted.Select(message => message.Sid)];

    /// <summary>How many messages the fake accepted for <paramref name="to"/>.</summary>
    public int AcceptedFor(string to) => _acceptedByRecipient.TryGetValue(to, out var queue) ? queue.Count : 0;

    /// <summary>Raised for each accepted message, before the answer goes out.</summary>
    public event Action<FakeMessage>? MessageAccepted;

    /// <summary>Starts the fake; without a policy it accepts everything (<see cref="ScriptedReplies"/>).</summary>
    public static async Task<FakeTwilio> StartAsync(IFakeTwilioReplies? replies = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var twilio = new FakeTwilio(app, replies ?? new ScriptedReplies());
        app.MapPost(Messages, (Func<HttpContext, Task<IResult>>)twilio.SendAsync);
        app.MapGet(Messages, (Func<HttpContext, Task<IResult>>)twilio.ListAsync);
        await app.StartAsync();
        twilio.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return twilio;
    }

    private async Task<IResult> SendAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        _requests.Enqueue(new FakeRequest(
            form.ToDictionary(field => field.Key, field => field.Value.ToString()),
            context.Request.Headers.Authorization.ToString(),
            DateTimeOffset.UtcNow));
        return await AnswerAsync(context, Replies.Next(FakeTwilioCall.Send), () =>
        {
            var message = new FakeMessage($"SM{Guid.NewGuid():N}", form["To"].ToString(), form["Body"].ToString(), DateTimeOffset.UtcNow);
            _accepted.Enqueue(message);
            _acceptedByRecipient.GetOrAdd(message.To, _ => new ConcurrentQueue<FakeMessage>()).Enqueue(message);
            MessageAccepted?.Invoke(message);
            return Results.Json(Resource(message), statusCode: StatusCodes.Status201Created);
        });
    }

    /// <summary>The accepted messages to one number, newest first, in Twilio's list shape.</summary>
    private Task<IResult> ListAsync(HttpContext context)
    {
        Interlocked.Increment(ref _lookups);
        return AnswerAsync(context, Replies.Next(FakeTwilioCall.List), () =>
        {
            var to = context.Request.Query["To"].ToString();
            var messages = _acceptedByRecipient.TryGetValue(to, out var queue) ? queue.Reverse().Select(Resource).ToArray() : [];
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
        });
    }

    private static async Task<IResult> AnswerAsync(HttpContext context, FakeReply reply, Func<IResult> accept)
    {
        switch (reply)
        {
            case FakeReply.TooManyRequests tooMany:
                context.Response.Headers.RetryAfter = tooMany.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return Error(20429, StatusCodes.Status429TooManyRequests);
            case FakeReply.ServerError error:
                return Error(error.Code, error.Status);
            case FakeReply.Hang:
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return Results.Empty;
            case FakeReply.Refuse refuse:
                return Error(refuse.Code, refuse.Status, $"Refused with {refuse.Code}");
            case FakeReply.AcceptOnceReleased held:
                await held.Released.WaitAsync(context.RequestAborted);
                return accept();
            case FakeReply.Accept { Delay: var delay }:
                if (delay > TimeSpan.Zero) await Task.Delay(delay);
                return accept();
            default:
                throw new InvalidOperationException($"Unknown reply {reply}.");
        }
    }

    private static Dictionary<string, object?> Resource(FakeMessage message) => new()
    {
        ["sid"] = message.Sid,
        ["status"] = "queued",
        ["to"] = message.To,
        ["body"] = message.Body,
        ["num_segments"] = "1",
        ["date_created"] = message.AcceptedAt.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture),
    };

    /// <summary>Twilio's error body: its own code, a message, a link and the HTTP status.</summary>
    private static IResult Error(int code, int status, string? message = null) =>
        Results.Json(new Dictionary<string, object?>
        {
            ["code"] = code,
            ["message"] = message ?? ReasonPhrases.GetReasonPhrase(status),
            ["more_info"] = $"https://www.twilio.com/docs/errors/{code}",
            ["status"] = status,
        }, statusCode: status);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
