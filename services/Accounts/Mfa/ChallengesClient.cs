using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FlexWhere.Accounts.Mfa;

public sealed class ChallengesOptions
{
    public const string Section = "Challenges";

    /// <summary>Resolved by service discovery under the AppHost.</summary>
    [Required] public Uri BaseUrl { get; set; } = new("http://challenges");

    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")] public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Challenges did not do what was asked. <see cref="Refusal"/> is what it refused, as a typed
/// value to decide on; null when it could not be asked or its answer made no sense (then the words are
/// Accounts' own <c>mfa_unavailable</c>). The words are Challenges' problem, for a refusal the user can act on.</summary>
public sealed record ChallengesFailure(
    ChallengeRefusal? Refusal, int Status, string Code, string Title, string Detail, IReadOnlyDictionary<string, JsonElement> Extra)
{
    public static ChallengesFailure Unavailable { get; } = new(null, StatusCodes.Status503ServiceUnavailable, ProblemCodes.MfaUnavailable,
        "Sign-in codes are unavailable.", "The sign-in code service cannot be reached right now. Try again in a minute.",
        new Dictionary<string, JsonElement>());

    /// <summary>How long to wait: Challenges' <c>Retry-After</c>, or 30 seconds when it could not be asked.</summary>
    public TimeSpan? RetryAfter => Refusal is null ? TimeSpan.FromSeconds(30) : Refusal.RetryAfter;

    public bool Is(ChallengeRefusalCode code) => Refusal?.Code == code;
}

/// <summary>Challenges' internal API, over the records of <c>FlexWhere.Contracts</c>. No retries: a
/// repeated create would send a second SMS and a repeated verify would spend a second attempt, so a
/// failure is reported, not hidden.</summary>
public sealed class ChallengesClient(HttpClient http, IOptions<InternalApiOptions> key, ILogger<ChallengesClient> logger)
{
    /// <param name="destination">A number in a country the organisation allows: the caller checked it.</param>
    /// <param name="priority">An admin's or manager's sign-in code: it may use the SMS budget's reserved share.</param>
    /// <param name="locale">The language of the SMS (<see cref="User.LocaleFor"/>).</param>
    public Task<(IssuedChallenge? Issued, ChallengesFailure? Failure)> CreateAsync(
        Guid organisationId, Guid userId, string purpose, string destination, string? clientIp, bool priority,
        CancellationToken cancellationToken, string locale = SmsTemplates.DefaultLocale) =>
        SendAsync<IssuedChallenge>(HttpMethod.Post, "internal/challenges", new CreateChallengeRequest(
            organisationId, userId, purpose, destination, locale, clientIp ?? IPAddress.Loopback.ToString(), priority), cancellationToken);

    /// <summary>A text without a code (e.g. to an old number when its replacement is scheduled).</summary>
    public Task<(SentNotice? Sent, ChallengesFailure? Failure)> SendNoticeAsync(
        Guid organisationId, Guid userId, string to, string kind, DateTimeOffset effectiveAt, string locale,
            CancellationToken cancellationToken) =>
        SendNoticeAsync(new NoticeRequest(organisationId, userId, to, kind, effectiveAt, locale), cancellationToken);

    public Task<(SentNotice? Sent, ChallengesFailure? Failure)> SendNoticeAsync(NoticeRequest notice, CancellationToken cancellationToken) =>
        SendAsync<SentNotice>(HttpMethod.Post, "internal/notices", notice, cancellationToken);

    public Task<(VerifiedChallenge? Verified, ChallengesFailure? Failure)> VerifyAsync(
        string challengeId, string code, string purpose, CancellationToken cancellationToken) =>
        SendAsync<VerifiedChallenge>(HttpMethod.Post, $"{Path(challengeId)}/verify", new VerifyChallengeRequest(code, purpose),
            cancellationToken);

    public Task<(IssuedChallenge? Resent, ChallengesFailure? Failure)> ResendAsync(
        string challengeId, CancellationToken cancellationToken) =>
        SendAsync<IssuedChallenge>(HttpMethod.Post, $"{Path(challengeId)}/resend", null, cancellationToken);

    /// <summary>The challenge's state and its SMS's delivery.</summary>
    public Task<(ChallengeStatus? Status, ChallengesFailure? Failure)> StatusAsync(
        string challengeId, CancellationToken cancellationToken) =>
        SendAsync<ChallengeStatus>(HttpMethod.Get, Path(challengeId), null, cancellationToken);

    private static string Path(string challengeId) => $"internal/challenges/{Uri.EscapeDataString(challengeId)}";

    private async Task<(T?, ChallengesFailure?)> SendAsync<T>(
        HttpMethod method, string path, object? body, CancellationToken cancellationToken) where T : class
    {
        using var request = new HttpRequestMessage(method, path);
        request.Content = body is null ? null : JsonContent.Create(body, body.GetType());
        request.Headers.Add(InternalApiOptions.HeaderName, key.Value.Key);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                var result = await response.Content.ReadFromJsonAsync<T>(JsonSerializerOptions.Web, cancellationToken);
                return result is null ? (null, ChallengesFailure.Unavailable) : (result, null);
            }

            return (null, await ReadFailureAsync(response, cancellationToken));
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException
            && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Challenges could not be reached: {Reason}", exception.Message);
            return (null, ChallengesFailure.Unavailable);
        }
    }

    private async Task<ChallengesFailure> ReadFailureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (status >= 500 && status != StatusCodes.Status503ServiceUnavailable || status is 401 or 403)
        {
            // A broken deployment (wrong service key, a crash): the user can do nothing about it.
            logger.LogError("Challenges answered {Status}", status);
            return ChallengesFailure.Unavailable;
        }

        var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
            ? await response.Content.ReadFromJsonAsync<Dictionary<string, JsonElement>>(JsonSerializerOptions.Web, cancellationToken)
            : null;
        if (problem is null || !problem.TryGetValue("code", out var codeValue) || codeValue.ValueKind != JsonValueKind.String)
        {
            logger.LogError("Challenges answered {Status} without a problem code", status);
            return ChallengesFailure.Unavailable;
        }

        ChallengeRefusalCode code;
        try
        {
            code = codeValue.Deserialize<ChallengeRefusalCode>();
        }
        catch (JsonException)
        {
            // Not a refusal of the contract (e.g. a request Accounts built wrongly): a defect, not the user's.
            logger.LogError("Challenges answered {Status} {Code}, which is not a refusal of the contract", status, codeValue.GetString());
            return ChallengesFailure.Unavailable;
        }

        int? Number(string name) => problem.TryGetValue(name, out var value) && value.TryGetInt32(out var n) ? n : null;
        string? Text(string name) =>
            problem.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var refusal = new ChallengeRefusal(code, response.Headers.RetryAfter?.Delta)
        {
            AttemptsLeft = Number("attemptsLeft"),
            Limit = Text("limit"),
        };
        var extra = problem.Where(p => p.Key
            is not ("type" or "title" or "status" or "detail" or "instance" or "code" or "traceId" or "errors"))
            .ToDictionary(p => p.Key, p => p.Value);
        return new ChallengesFailure(refusal, status, codeValue.GetString()!, Text("title") ?? "", Text("detail") ?? "", extra);
    }
}
