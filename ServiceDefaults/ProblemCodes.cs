namespace Microsoft.Extensions.Hosting;

/// <summary>The stable <c>code</c> of a problem that no handler named more precisely.</summary>
public static class ProblemCodes
{
    public static string ForStatus(int status) => status switch
    {
        400 => "validation_failed",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        503 => "service_unavailable",
        _ => "internal_error",
    };
}
