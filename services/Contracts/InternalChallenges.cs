using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace FlexWhere.Contracts;

// The internal API between Accounts (the only caller) and Challenges, under /internal and behind the
// service key. The Gateway never routes /internal. Both services compile against these types.

/// <summary>The shared service key both sides are configured with.</summary>
public sealed class InternalApiOptions
{
    public const string SectionName = "InternalApi";

    public const string HeaderName = "X-Internal-Api-Key";

    /// <summary>The key callers send in <see cref="HeaderName"/>; the AppHost parameter <c>internal-api-key</c>. Challenges
    /// accepts it and, during a rotation, the keys of <c>InternalApi:AcceptedKeys</c> as well.</summary>
    [Required(ErrorMessage = "InternalApi:Key is not set: give the service the shared key of at least 32 characters "
        + "(the AppHost parameter internal-api-key).")]
    [MinLength(32, ErrorMessage = "InternalApi:Key must be at least 32 characters long.")]
    public string Key { get; set; } = "";
}

/// <summary>What a code proves; a code for one purpose never verifies another.</summary>
public static class ChallengePurposes
{
    public const string SignIn = "sign_in";
    public const string PhoneVerification = "phone_verification";

    /// <summary>The code an admin or a manager enters before an e-mailed link (invitation, password reset) sets their password.</summary>
    public const string PasswordLink = "password_link";

    public static bool IsKnown(string? purpose) => purpose is SignIn or PhoneVerification or PasswordLink;
}

/// <summary>Texts without a code, by kind.</summary>
public static class NoticeKinds
{
    /// <summary>Ahead of a change: its date is in the future, and the text is worthless once it passed.</summary>
    public const string PhoneChangeScheduled = "phone_change_scheduled";

    /// <summary>After a change, to the number that no longer gets the codes: its date is when it happened.</summary>
    public const string PhoneChanged = "phone_changed";

    public static readonly IReadOnlyDictionary<string, string> Templates = new Dictionary<string, string>
    {
        [PhoneChangeScheduled] = SmsTemplates.PhoneChangeScheduled,
        [PhoneChanged] = SmsTemplates.PhoneChanged,
    };

    public static bool IsAhead(string kind) => kind == PhoneChangeScheduled;
}

/// <summary><c>POST /internal/challenges</c>. The caller has checked that the number's country is one
/// its organisation allows.</summary>
/// <param name="Priority">True for the sign-in and step-up codes of admins and managers: they may use
/// the share of the SMS budgets kept back for them. Absent means false.</param>
public sealed record CreateChallengeRequest(
    Guid OrganisationId, Guid UserId, string? Purpose, string? Destination, string? Locale, string? ClientIp, bool Priority = false);

/// <summary>A code went out (create or resend): where to, until when it works, when another may be asked for.</summary>
public sealed record IssuedChallenge(string ChallengeId, string MaskedDestination, DateTimeOffset ExpiresAt, DateTimeOffset ResendAfter);

/// <summary><c>POST /internal/challenges/{id}/verify</c>.</summary>
public sealed record VerifyChallengeRequest(string? Code, string? Purpose);

public sealed record VerifiedChallenge(bool Verified, Guid UserId, Guid OrganisationId, string Destination);

/// <summary><c>GET /internal/challenges/{id}</c>: the challenge as its user may see it.</summary>
/// <param name="Status">pending, verified, locked or expired.</param>
public sealed record ChallengeStatus(
    string ChallengeId, string Status, string MaskedDestination, DateTimeOffset ExpiresAt, int AttemptsLeft, DateTimeOffset ResendAfter,
    DeliveryStatus Delivery);

/// <param name="State">queued, not_sent, sent, delivered or failed.</param>
/// <param name="Reason">Why it failed or was not sent, without the number or the code.</param>
public sealed record DeliveryStatus(string State, DateTimeOffset? At, string? Reason);

/// <summary><c>POST /internal/notices</c>.</summary>
/// <param name="EffectiveAt">When the change takes effect (a notice ahead of it: in the future) or took effect (a notice after it).</param>
public sealed record NoticeRequest(Guid OrganisationId, Guid UserId, string? To, string? Kind, DateTimeOffset? EffectiveAt, string? Locale)
{
    /// <summary>The caller's id for this notice: asked again with the same id, the Notifier still sends one SMS. Absent: a new id.</summary>
    public Guid? NoticeId { get; init; }
}

public sealed record SentNotice(string NoticeId);

/// <summary>Why Challenges did not do what was asked: the <c>code</c> of its problem answer, named by <see cref="ProblemCodes"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ChallengeRefusalCode>))]
public enum ChallengeRefusalCode
{
    [JsonStringEnumMemberName(ProblemCodes.ChallengeNotFound)] NotFound,
    [JsonStringEnumMemberName(ProblemCodes.ChallengeExpired)] Expired,
    [JsonStringEnumMemberName(ProblemCodes.ChallengeAlreadyUsed)] AlreadyUsed,
    [JsonStringEnumMemberName(ProblemCodes.ChallengeClosed)] Closed,
    [JsonStringEnumMemberName(ProblemCodes.ChallengeBusy)] Busy,
    [JsonStringEnumMemberName(ProblemCodes.InvalidCode)] InvalidCode,
    [JsonStringEnumMemberName(ProblemCodes.TooManyAttempts)] TooManyAttempts,
    [JsonStringEnumMemberName(ProblemCodes.CodeNotSent)] CodeNotSent,
    [JsonStringEnumMemberName(ProblemCodes.ResendTooSoon)] ResendTooSoon,
    [JsonStringEnumMemberName(ProblemCodes.SendLimitReached)] SendLimitReached,
    [JsonStringEnumMemberName(ProblemCodes.RateLimited)] RateLimited,
    [JsonStringEnumMemberName(ProblemCodes.SmsBudgetExhausted)] SmsBudgetExhausted,
    [JsonStringEnumMemberName(ProblemCodes.SmsNotSent)] SmsNotSent,
    [JsonStringEnumMemberName(ProblemCodes.UnknownNoticeKind)] UnknownNoticeKind,
    [JsonStringEnumMemberName(ProblemCodes.ChallengesUnavailable)] Unavailable,
}

/// <summary>A refusal as a value: its code, and where they apply the wait, the tries left and the limit hit.</summary>
public sealed record ChallengeRefusal(ChallengeRefusalCode Code, TimeSpan? RetryAfter = null)
{
    public int? AttemptsLeft { get; init; }

    /// <summary>Which send limit or budget refused (e.g. <c>destination</c>, <c>platform_daily_budget</c>).</summary>
    public string? Limit { get; init; }

    /// <summary>The challenge is over: a new sign-in (or a new verification) is the only way on.</summary>
    public bool EndsChallenge => Code is ChallengeRefusalCode.NotFound or ChallengeRefusalCode.Expired
        or ChallengeRefusalCode.AlreadyUsed or ChallengeRefusalCode.TooManyAttempts;
}
