using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The one problem (RFC 9457) every FlexWhere service answers: status, a stable <c>code</c> from
/// <see cref="ProblemCodes"/>, title, detail, where waiting helps <c>Retry-After</c>, where fields are
/// wrong <c>errors</c>, and any further members. A handler returns it as a typed result (it works in
/// <c>Results&lt;Ok&lt;T&gt;, ApiProblem&gt;</c>); middleware, exception handlers, rate-limiter callbacks and
/// endpoint filters call <see cref="WriteAsync"/>. Both go through <see cref="IProblemDetailsService"/>,
/// so <c>instance</c> and <c>traceId</c> are added the same way everywhere (docs/problems.md).
/// </summary>
public sealed class ApiProblem : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IValueHttpResult,
    IValueHttpResult<ProblemDetails>, IEndpointMetadataProvider
{
    public const string MediaType = "application/problem+json";
    public const string CodeMember = "code";
    public const string RetryAfterMember = "retryAfterSeconds";
    public const string ValidationTitle = "The request is not valid.";

    private readonly Dictionary<string, object?> _extensions = new(StringComparer.Ordinal);

    public ApiProblem(int status, string code, string title, string? detail = null)
    {
        Status = status;
        Code = code;
        Title = title;
        Detail = detail;
    }

    public int Status { get; }

    public string Code { get; }

    public string Title { get; }

    public string? Detail { get; }

    /// <summary>How long the client should wait; sent as <c>Retry-After</c> and <c>retryAfterSeconds</c> (<see
    /// cref="RetryAfterSeconds"/>).</summary>
    public TimeSpan? RetryAfter { get; private set; }

    /// <summary>Field → messages, for <c>validation_failed</c>.</summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; private init; }

    /// <summary>Members beyond the standard ones (attemptsLeft, methods, limit…).</summary>
    public IReadOnlyDictionary<string, object?> Extensions => _extensions;

    int? IStatusCodeHttpResult.StatusCode => Status;

    string IContentTypeHttpResult.ContentType => MediaType;

    object IValueHttpResult.Value => ToProblemDetails();

    ProblemDetails IValueHttpResult<ProblemDetails>.Value => ToProblemDetails();

    /// <summary>
    /// The one rule for <c>Retry-After</c>: whole seconds, rounded up (a client that waits exactly that
    /// long is let in), and at least 1 (0 would invite an immediate retry that is refused again).
    /// </summary>
    public static long RetryAfterSeconds(TimeSpan wait) =>
        wait <= TimeSpan.Zero ? 1 : Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));

    /// <summary>A 400 <c>validation_failed</c> naming the one field that is wrong.</summary>
    public static ApiProblem Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });

    /// <summary>A 400 <c>validation_failed</c> with every wrong field; the detail repeats the messages for people.</summary>
    public static ApiProblem Validation(IReadOnlyDictionary<string, string[]> errors, string? detail = null) =>
        new(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, ValidationTitle, detail
            ?? Describe(errors)) { Errors = errors };

    /// <summary>The messages of <paramref name="errors"/> as one sentence list, for the <c>detail</c> member.</summary>
    public static string Describe(IEnumerable<KeyValuePair<string, string[]>> errors) =>
        string.Join(" ", errors.SelectMany(error => error.Value).Distinct());

    public ApiProblem WithRetryAfter(TimeSpan wait)
    {
        RetryAfter = wait;
        return this;
    }

    public ApiProblem With(string member, object? value)
    {
        _extensions[member] = value;
        return this;
    }

    public ProblemDetails ToProblemDetails()
    {
        var details = Errors is null
            ? new ProblemDetails()
            : new HttpValidationProblemDetails(Errors.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal));
        details.Status = Status;
        details.Title = Title;
        details.Detail = Detail;
        foreach (var (member, value) in _extensions) details.Extensions[member] = value;
        details.Extensions[CodeMember] = Code;
        if (RetryAfter is { } wait) details.Extensions[RetryAfterMember] = RetryAfterSeconds(wait);
        return details;
    }

    public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext);

    /// <summary>Writes the problem (status, <c>Retry-After</c>, body) through <see cref="IProblemDetailsService"/>.</summary>
    public async Task WriteAsync(HttpContext httpContext, Exception? exception = null)
    {
        var response = httpContext.Response;
        response.StatusCode = Status;
        if (RetryAfter is { } wait) response.Headers.RetryAfter = RetryAfterSeconds(wait).ToString(CultureInfo.InvariantCulture);

        var details = ToProblemDetails();
        var service = httpContext.RequestServices.GetService<IProblemDetailsService>();
        if (service is not null
            && await service.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = details,
                Exception = exception }))
        {
            return;
        }

        // No writer took it (a client that accepts no JSON): the body is still problem+json, as ProblemHttpResult does.
        await response.WriteAsJsonAsync(details, details.GetType(), options: null, contentType: MediaType, httpContext.RequestAborted);
    }

    /// <summary>Describes the answer to OpenAPI as problem+json. The status is known only at run time; an
    /// endpoint names the ones it answers with <c>.ProducesProblem(status)</c> where it matters.</summary>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status400BadRequest, typeof(HttpValidationProblemDetails),
            [MediaType]));
    }
}
