using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Twilio.Security;

namespace FlexWhere.Notifier.Callbacks;

/// <summary>
/// Twilio's delivery reports (the StatusCallback of every message), public through the Gateway.
/// Only requests signed with the account's auth token for exactly the configured public URL count;
/// anything else gets 403 and changes nothing.
/// </summary>
public static class TwilioStatusCallbackApi
{
    public const string SignatureHeader = "X-Twilio-Signature";

    /// <summary>Twilio retries a callback that did not get a 2xx; this asks it to wait while the broker recovers.</summary>
    public static readonly TimeSpan ReportRetryAfter = TimeSpan.FromSeconds(30);

    public static IEndpointRouteBuilder MapTwilioStatusCallbackApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/notifier/twilio").WithTags("Twilio callbacks")
            .MapPost("/status", ReceiveStatus)
            .DisableAntiforgery();
        return app;
    }

    public static async Task<Results<NoContent, ApiProblem>> ReceiveStatus(
        HttpRequest request,
        IOptions<TwilioOptions> options,
        SmsIdempotency idempotency,
        IPublishEndpoint publishEndpoint,
        IOptions<SendingOptions> sending,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger(typeof(TwilioStatusCallbackApi));
        var signature = request.Headers[SignatureHeader].ToString();
        if (string.IsNullOrEmpty(signature) || !request.HasFormContentType)
        {
            return Forbidden(ProblemCodes.TwilioSignatureMissing,
                "The request carries no X-Twilio-Signature over a form body; only Twilio may post delivery reports.");
        }

        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        var parameters = form.ToDictionary(field => field.Key, field => field.Value.ToString());
        var validator = new RequestValidator(options.Value.AuthToken);
        if (!validator.Validate(options.Value.StatusCallbackUrl!.ToString(), parameters, signature))
        {
            logger.LogWarning("Rejected a Twilio status callback with a bad signature");
            return Forbidden(ProblemCodes.TwilioSignatureInvalid,
                "The X-Twilio-Signature does not match this request; only Twilio may post delivery reports.");
        }

        var messageSid = parameters.GetValueOrDefault("MessageSid") ?? "";
        var status = parameters.GetValueOrDefault("MessageStatus") ?? "";
        if (messageSid.Length == 0 || await idempotency.FindChallengeAsync(messageSid) is not { } challengeId)
        {
            // Twilio retries a report it thinks failed; a message we no longer know is no error on its side.
            logger.LogInformation("Ignored status {Status} for unknown provider message {ProviderMessageId}", status, messageSid);
            return TypedResults.NoContent();
        }

        var aborted = request.HttpContext.RequestAborted;
        var timeout = sending.Value.PublishTimeout;
        try
        {
            switch (status)
            {
                case "delivered":
                    await publishEndpoint.PublishWithinAsync(new SmsDelivered { ChallengeId = challengeId, ProviderMessageId = messageSid,
                        DeliveredAt = timeProvider.GetUtcNow() },
                        timeout, aborted);
                    logger.LogInformation("Provider message {ProviderMessageId} for challenge {ChallengeId} delivered", messageSid,
                        challengeId);
                    break;
                case "failed" or "undelivered":
                    var errorCode = parameters.GetValueOrDefault("ErrorCode");
                    var reason = string.IsNullOrEmpty(errorCode) ? $"twilio_{status}" : $"twilio_{errorCode}";
                    await publishEndpoint.PublishWithinAsync(new SmsFailed { ChallengeId = challengeId, ProviderMessageId = messageSid,
                        Reason = reason, FailedAt = timeProvider.GetUtcNow() },
                        timeout, aborted);
                    logger.LogWarning("Provider message {ProviderMessageId} for challenge {ChallengeId} not delivered: {Reason}",
                        messageSid, challengeId, reason);
                    break;
            }
        }
        catch (EventNotPublishedException failure)
        {
            // Twilio retries a callback that did not get a 2xx: the report is not lost, only late.
            logger.LogWarning("Status {Status} for provider message {ProviderMessageId} not passed on yet: {Reason}", status, messageSid,
                failure.Message);
            return new ApiProblem(StatusCodes.Status503ServiceUnavailable, ProblemCodes.ReportNotQueued, "Service unavailable",
                "The delivery report could not be passed on just now; send it again later.").WithRetryAfter(ReportRetryAfter);
        }

        return TypedResults.NoContent();
    }

    private static ApiProblem Forbidden(string code, string detail) =>
        new(StatusCodes.Status403Forbidden, code, "Forbidden", detail);
}
