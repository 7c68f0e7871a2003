using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace FlexWhere.Accounts.Mfa;

public sealed class ChallengesOptions
{
    public const string Section = "Challenges";

    /// <summary>Resolved by service discovery under the AppHost.</summary>
    [Required] public Uri BaseUrl { get; set; } = new("http://challenges");

    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")] public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class InternalApiOptions
{
    public const string Section = "InternalApi";

    public const string HeaderName = "X-Internal-Api-Key";

    [Required(ErrorMessage = "InternalApi:Key is not set: give Accounts the shared service key of at least 32 characters (the AppHost parameter internal-api-key).")]
    [MinLength(32, ErrorMessage = "InternalApi:Key must be at least 32 characters long.")]
    public string Key { get; set; } = "";
}

public static class ChallengePurposes
{
    public const string SignIn = "sign_in";
    public const string PhoneVerification = "phone_verification";
}

public sealed record IssuedChallenge(string ChallengeId, string MaskedDestination, DateTimeOffset ExpiresAt, DateTimeOffset ResendAfter);

public sealed record SentNotice(string NoticeId);

public sealed record ResentChallenge(DateTimeOffset ResendAfter, DateTimeOffset ExpiresAt);

public sealed record VerifiedChallenge(bool Verified, Guid UserId, Guid OrganisationId, string Destination);

/// <summary>What Challenges refused, as it said it (status, code, texts, Retry-After, extra members),
/// or <see cref="Unavailable"/> when it could not be asked.</summary>
public sealed record ChallengeRefusal(int Status, string Code, string Title, string Detail, TimeSpan? RetryAfter, IReadOnlyDictionary<string, JsonElement> Extra)
{
    public static ChallengeRefusal Unavailable { get; } = new(StatusCodes.Status503ServiceUnavailable, "mfa_unavailable", "Sign-in codes are unavailable.",
        "The sign-in code service cannot be reached right now. Try again in a minute.", TimeSpan.FromSeconds(30), new Dictionary<string, JsonElement>());

    public int? AttemptsLeft => Extra.TryGetValue("attemptsLeft", out var value) && value.TryGetInt32(out var left) ? left : null;
}

/// <summary>Challenges' internal API. No retries: a repeated create would send a second SMS and a
/// repeated verify would spend a second attempt, so a failure is reported, not hidden.</summary>
public sealed class ChallengesClient(HttpClient http, IOptions<InternalApiOptions> key, ILogger<ChallengesClient> logger)
{
    /// <param name="priority">An admin's or manager's sign-in code: it may use the SMS budget's reserved share.</param>
    public Task<(IssuedChallenge? Issued, ChallengeRefusal? Refusal)> CreateAsync(
        Guid organisationId, Guid userId, string purpose, string destination, IEnumerable<string> allowedCountries, string? clientIp, bool priority,
        CancellationToken cancellationToken) =>
        SendAsync<IssuedChallenge>(HttpMethod.Post, "internal/challenges", new
        {
            organisationId,
            userId,
            purpose,
            destination,
            locale = "en",
            allowedCountries,
            clientIp = clientIp ?? IPAddress.Loopback.ToString(),
            priority,
        }, cancellationToken);

    /// <summary>A text without a code (e.g. to an old number when its replacement is scheduled).</summary>
    public Task<(SentNotice? Sent, ChallengeRefusal? Refusal)> SendNoticeAsync(
        Guid organisationId, Guid userId, string to, string kind, DateTimeOffset effectiveAt, string locale, CancellationToken cancellationToken) =>
        SendAsync<SentNotice>(HttpMethod.Post, "internal/notices", new { organisationId, userId, to, kind, effectiveAt, locale }, cancellationToken);

    public Task<(VerifiedChallenge? Verified, ChallengeRefusal? Refusal)> VerifyAsync(string challengeId, string code, string purpose, CancellationToken cancellationToken) =>
        SendAsync<VerifiedChallenge>(HttpMethod.Post, $"internal/challenges/{Uri.EscapeDataString(challengeId)}/verify", new { code, purpose }, cancellationToken);

    public Task<(ResentChallenge? Resent, ChallengeRefusal? Refusal)> ResendAsync(string challengeId, CancellationToken cancellationToken) =>
        SendAsync<ResentChallenge>(HttpMethod.Post, $"internal/challenges/{Uri.EscapeDataString(challengeId)}/resend", null, cancellationToken);

    private async Task<(T?, ChallengeRefusal?)> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken) where T : class
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add(InternalApiOptions.HeaderName, key.Value.Key);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                var result = await response.Content.ReadFromJsonAsync<T>(JsonSerializerOptions.Web, cancellationToken);
                return result is null ? (null, ChallengeRefusal.Unavailable) : (result, null);
            }

            return (null, await ReadRefusalAsync(response, cancellationToken));
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Challenges could not be reached: {Reason}", exception.Message);
            return (null, ChallengeRefusal.Unavailable);
        }
    }

    private async Task<ChallengeRefusal> ReadRefusalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (status >= 500 && status != StatusCodes.Status503ServiceUnavailable || status is 401 or 403)
        {
            // A broken deployment (wrong service key, a crash): the user can do nothing about it.
            logger.LogError("Challenges answered {Status}", status);
            return ChallengeRefusal.Unavailable;
        }

        var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
            ? await response.Content.ReadFromJsonAsync<Dictionary<string, JsonElement>>(JsonSerializerOptions.Web, cancellationToken)
            : null;
        if (problem is null || !problem.TryGetValue("code", out var code) || code.ValueKind != JsonValueKind.String) return ChallengeRefusal.Unavailable;

        var retryAfter = response.Headers.RetryAfter?.Delta;
        string Text(string name) => problem.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
        var extra = problem.Where(p => p.Key is not ("type" or "title" or "status" or "detail" or "instance" or "code" or "traceId" or "errors"))
            .ToDictionary(p => p.Key, p => p.Value);
        return new ChallengeRefusal(status, code.GetString()!, Text("title"), Text("detail"), retryAfter, extra);
    }
}
