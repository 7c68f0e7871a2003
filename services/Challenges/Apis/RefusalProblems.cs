namespace FlexWhere.Challenges.Apis;

/// <summary>The one place a <see cref="ChallengeRefusal"/> becomes an answer: the ServiceDefaults problem with its
/// status, the words a person reads, <c>code</c>, and where they apply <c>Retry-After</c>, <c>attemptsLeft</c> and <c>limit</c>.</summary>
public static class RefusalProblems
{
    public static ApiProblem ToProblem(this ChallengeRefusal refusal)
    {
        var (status, title, detail) = Describe(refusal);
        var problem = new ApiProblem(status, Code(refusal.Code), title, detail);
        if (refusal.RetryAfter is { } wait) problem.WithRetryAfter(wait);
        if (refusal.AttemptsLeft is { } left) problem.With("attemptsLeft", left);
        if (refusal.Limit is { } limit) problem.With("limit", limit);
        return problem;
    }

    /// <summary>The code as it is written on the wire: the enum's JSON name, a <see cref="ProblemCodes"/> constant.</summary>
    public static string Code(ChallengeRefusalCode code) => System.Text.Json.JsonSerializer.Serialize(code).Trim('"');

    private static (int Status, string Title, string Detail) Describe(ChallengeRefusal refusal) => refusal.Code switch
    {
        ChallengeRefusalCode.NotFound => (StatusCodes.Status404NotFound, "Challenge not found",
            "There is no challenge with this id; it may have expired long ago. Start the sign-in again."),
        ChallengeRefusalCode.Expired => (StatusCodes.Status410Gone, "Code expired", "This code has expired. Ask for a new code."),
        ChallengeRefusalCode.AlreadyUsed => (StatusCodes.Status409Conflict, "Code already used",
            "This code was already used. Start the sign-in again."),
        ChallengeRefusalCode.Closed => (StatusCodes.Status409Conflict, "Challenge closed",
            "This challenge was already used or locked. Start the sign-in again."),
        ChallengeRefusalCode.Busy => (StatusCodes.Status409Conflict, "Code just replaced",
            "A new code was sent while this one was checked. Enter the newest code."),
        ChallengeRefusalCode.InvalidCode => (StatusCodes.Status400BadRequest, "Wrong code",
            $"That code is not right. You have {refusal.AttemptsLeft} more {(refusal.AttemptsLeft == 1 ? "try" : "tries")}."),
        ChallengeRefusalCode.TooManyAttempts => (StatusCodes.Status429TooManyRequests, "Too many wrong codes",
            "Too many wrong codes were entered; this code no longer works. Start the sign-in again."),
        ChallengeRefusalCode.CodeNotSent => (StatusCodes.Status409Conflict, "No code to check",
            "The last code could not be sent. Ask for a new code."),
        ChallengeRefusalCode.ResendTooSoon => (StatusCodes.Status429TooManyRequests, "Too soon to resend",
            "A code was sent moments ago. Wait before asking for another."),
        ChallengeRefusalCode.SendLimitReached => (StatusCodes.Status429TooManyRequests, "Too many codes sent",
            "Too many codes were sent to this number recently. Wait before asking for another."),
        ChallengeRefusalCode.SmsBudgetExhausted when refusal.Limit == SendLimiter.PlatformBudget => (StatusCodes.Status429TooManyRequests,
            "SMS limit reached",
            "FlexWhere has sent as many text messages today as it may; only administrators' sign-in codes still go out. "
            + "Try again tomorrow or ask your administrator."),
        ChallengeRefusalCode.SmsBudgetExhausted => (StatusCodes.Status429TooManyRequests, "SMS budget used up",
            "Your organisation has used its SMS budget for today. Try again tomorrow or ask your administrator."),
        ChallengeRefusalCode.SmsNotSent => (StatusCodes.Status503ServiceUnavailable, "Not sent",
            "The text message could not be sent just now. Try again in a moment."),
        ChallengeRefusalCode.UnknownNoticeKind => (StatusCodes.Status400BadRequest, "Unknown notice",
            $"There is no such kind of notice. Use one of: {string.Join(", ", NoticeKinds.Templates.Keys)}."),
        ChallengeRefusalCode.Unavailable => (StatusCodes.Status503ServiceUnavailable, "Codes unavailable",
            "Codes cannot be issued just now. Try again in a moment."),
        _ => (StatusCodes.Status429TooManyRequests, "Too many requests", "Too many code requests. Wait a moment and try again."),
    };
}
