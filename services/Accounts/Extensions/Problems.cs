using Microsoft.AspNetCore.Http.HttpResults;

namespace FlexWhere.Accounts;

/// <summary>RFC 9457 problems with the stable <c>code</c> member clients switch on.</summary>
public static class Problems
{
    public static ProblemHttpResult Create(int status, string code, string title, string? detail = null, IDictionary<string, object?>? extensions = null)
    {
        var members = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>()) { ["code"] = code };
        return TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: members);
    }

    public static ProblemHttpResult Validation(string detail) =>
        Create(StatusCodes.Status400BadRequest, "validation_failed", "The request is not valid.", detail);

    public static ProblemHttpResult NotFound(string what = "user") =>
        Create(StatusCodes.Status404NotFound, "not_found", $"No such {what}.", $"There is no {what} with this id in your organisation.");

    public static ProblemHttpResult ManagedByLinkedDatabase() =>
        Create(StatusCodes.Status409Conflict, "managed_by_linked_database", "Managed by your linked database.",
            "Your organisation's users and phone numbers come from its linked database: change them there; the next import brings the change here.");

    /// <summary>Seconds for <c>Retry-After</c>, rounded up so a client that waits exactly that long is let in.</summary>
    public static void SetRetryAfter(HttpContext context, TimeSpan wait) =>
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
