using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace FlexWhere.Notifier.Providers.Twilio;

/// <summary>Sends through Twilio's Messages API with the Twilio SDK, over the pipeline-wrapped HttpClient.</summary>
public sealed class TwilioSmsProvider(IHttpClientFactory httpClientFactory, IOptions<TwilioOptions> options) : ISmsProvider
{
    public const string HttpClientName = "twilio";

    public async Task<string> SendAsync(OutgoingSms sms, CancellationToken cancellationToken)
    {
        var twilio = options.Value;
        var client = new TwilioRestClient(
            twilio.AccountSid,
            twilio.AuthToken,
            httpClient: new SystemNetHttpClient(httpClientFactory.CreateClient(HttpClientName)));

        var create = new CreateMessageOptions(new PhoneNumber(sms.To))
        {
            Body = sms.Body,
            StatusCallback = twilio.StatusCallbackUrl,
        };
        if (!string.IsNullOrWhiteSpace(twilio.MessagingServiceSid)) create.MessagingServiceSid = twilio.MessagingServiceSid;
        else create.From = new PhoneNumber(twilio.From);

        try
        {
            // The SDK's CreateAsync takes no CancellationToken; the pipeline's timeouts bound the wait.
            var message = await MessageResource.CreateAsync(create, client);
            return message.Sid;
        }
        catch (ApiException refused)
        {
            throw Classify(refused);
        }
        catch (ApiConnectionException unreachable)
        {
            throw new SmsSendException(ConnectionReason(unreachable.InnerException), permanent: false, unreachable);
        }
        catch (Exception failure) when (failure
            is BrokenCircuitException or TimeoutRejectedException or RateLimiterRejectedException or HttpRequestException)
        {
            throw new SmsSendException(ConnectionReason(failure), permanent: false, failure);
        }
    }

    /// <summary>
    /// Looks through the latest messages to the same number for one carrying the same code. The body
    /// is compared by its code, not in full: the "valid for N minutes" line changes between attempts.
    /// A message still queued has no send date yet, so the list is not filtered by date.
    /// </summary>
    public async Task<string?> FindAcceptedAsync(OutgoingSms sms, string code, CancellationToken cancellationToken)
    {
        var twilio = options.Value;
        var client = new TwilioRestClient(
            twilio.AccountSid,
            twilio.AuthToken,
            httpClient: new SystemNetHttpClient(httpClientFactory.CreateClient(HttpClientName)));
        try
        {
            var recent = await MessageResource.ReadAsync(
                new ReadMessageOptions { To = new PhoneNumber(sms.To), PageSize = RecentMessagesToSearch, Limit = RecentMessagesToSearch },
                client);
            return recent.FirstOrDefault(message => message.Body?.Contains(code, StringComparison.Ordinal) == true)?.Sid;
        }
        catch (ApiException refused)
        {
            // The lookup itself was refused: try again later rather than risk a second SMS.
            throw new SmsSendException($"{Classify(refused).Reason}_lookup", permanent: false);
        }
        catch (ApiConnectionException unreachable)
        {
            throw new SmsSendException(ConnectionReason(unreachable.InnerException), permanent: false, unreachable);
        }
        catch (Exception failure) when (failure
            is BrokenCircuitException or TimeoutRejectedException or RateLimiterRejectedException or HttpRequestException)
        {
            throw new SmsSendException(ConnectionReason(failure), permanent: false, failure);
        }
    }

    private const int RecentMessagesToSearch = 20;

    /// <summary>
    /// Twilio answered but did not accept. 4xx is permanent (the same request would be refused
    /// again), except 429, the transient codes and authentication errors: a wrong credential is
    /// fixed by an operator, and the retries may outlast the fix.
    /// </summary>
    public static SmsSendException Classify(ApiException refused)
    {
        var reason = refused.Code != 0 ? $"twilio_{refused.Code}" : $"twilio_http_{refused.Status}";
        var permanent = refused.Status is >= 400 and < 500
            and not 429 and not 401 and not 403
            && !SmsResiliencePipeline.TransientTwilioCodes.Contains(refused.Code);
        // Not chained: Twilio's message text can quote the destination number, and MassTransit
        // copies the innermost exception's message into logs and error-queue headers.
        return new SmsSendException(reason, permanent);
    }

    private static string ConnectionReason(Exception? failure) => failure switch
    {
        BrokenCircuitException => "twilio_circuit_open",
        TimeoutRejectedException => "twilio_timeout",
        RateLimiterRejectedException => "twilio_send_queue_full",
        _ => "twilio_unreachable",
    };
}

/// <summary>Points the SDK's requests (always https://api.twilio.com/…) at <see cref="TwilioOptions.BaseUrl"/>; tests only.</summary>
public sealed class TwilioBaseUrlHandler(IOptions<TwilioOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (options.Value.BaseUrl is { } baseUrl && request.RequestUri is { } uri)
        {
            request.RequestUri = new UriBuilder(uri) { Scheme = baseUrl.Scheme, Host = baseUrl.Host, Port = baseUrl.Port }.Uri;
        }

        return base.SendAsync(request, cancellationToken);
    }
}
