using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Every refused request body answers 400 <c>validation_failed</c> with an <c>errors</c> member (field →
/// messages): the DataAnnotations on request records (checked by .NET's built-in validation), and a body
/// that does not bind at all (not JSON, a value of the wrong type, no body). A body over the limit answers
/// 413 <c>payload_too_large</c>, an unsupported content type 415.
/// </summary>
public static partial class RequestValidation
{
    /// <summary>
    /// The problem side of request validation. The service also calls <c>builder.Services.AddValidation()</c>
    /// in its own project: the source generator behind it sees only the endpoints and records of the
    /// assembly that makes the call.
    /// </summary>
    public static TBuilder AddRequestValidation<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // A body that does not bind throws, so that BindingFailureHandler can name the field; otherwise
        // the framework would answer a bare 400 in production and lose what was wrong.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<BindingFailureHandler>();
        return builder;
    }

    /// <summary>The field a binding failure names: the JSON path of the bad value, else the parameter.</summary>
    internal static ApiProblem ProblemFor(BadHttpRequestException failure)
    {
        switch (failure.StatusCode)
        {
            case StatusCodes.Status413PayloadTooLarge:
                return new ApiProblem(failure.StatusCode, ProblemCodes.PayloadTooLarge, "The request is too large.",
                    "The body is larger than this endpoint accepts: send less in one request.");
            case StatusCodes.Status415UnsupportedMediaType:
                return new ApiProblem(failure.StatusCode, ProblemCodes.UnsupportedMediaType, "Unsupported content type.",
                    "Send the body as JSON with Content-Type: application/json.");
        }

        if (failure.InnerException is JsonException json)
        {
            var path = json.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
            return path is null
                ? ApiProblem.Validation("body", "The body is not valid JSON: send one JSON object.")
                : ApiProblem.Validation(path, $"'{path}' has a value of the wrong type, or the JSON around it is not valid.");
        }

        var parameter = ParameterName().Match(failure.Message);
        var name = parameter.Success ? parameter.Groups["name"].Value : "body";
        var fromBody = failure.Message.Contains("from body", StringComparison.Ordinal)
            || failure.Message.Contains("request body", StringComparison.Ordinal);
        return fromBody || !parameter.Success
            ? ApiProblem.Validation("body", "Send a JSON body (Content-Type: application/json).")
            : ApiProblem.Validation(name, $"'{name}' is missing or not a valid value.");
    }

    // The framework's messages name the parameter as "Type name": 'Required parameter "int page" was not provided…'.
    [GeneratedRegex("parameter \"[^\" ]+ (?<name>[^\"]+)\"")]
    private static partial Regex ParameterName();

    /// <summary>Turns the framework's binding failures into the one problem shape.</summary>
    internal sealed class BindingFailureHandler : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not BadHttpRequestException failure || httpContext.Response.HasStarted) return false;
            await ProblemFor(failure).WriteAsync(httpContext, exception);
            return true;
        }
    }
}
