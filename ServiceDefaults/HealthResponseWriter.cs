using System.Text.Json;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Writes a health report as JSON: the overall status and each check's status and duration.
/// Descriptions and exceptions stay in the logs; a probe from outside learns nothing internal.
/// </summary>
public static class HealthResponseWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new HealthResponse(
            report.Status.ToString(),
            report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new HealthEntryResponse(entry.Value.Status.ToString(), entry.Value.Duration.TotalMilliseconds)));
        return JsonSerializer.SerializeAsync(context.Response.Body, body, HealthJson.Options, context.RequestAborted);
    }
}

public sealed record HealthResponse(string Status, IReadOnlyDictionary<string, HealthEntryResponse> Checks);

public sealed record HealthEntryResponse(string Status, double DurationMs);

internal static class HealthJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
