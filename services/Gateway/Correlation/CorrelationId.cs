using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FlexWhere.Gateway.Correlation;

/// <summary>
/// Every request gets a correlation id: the client's X-Correlation-Id when it is a sane token, else
/// the trace id. It is forwarded to the services, returned to the client, tagged on the trace and
/// in the log scope, so a support call can be followed through every service.
/// </summary>
public static partial class CorrelationId
{
    public const string Header = "X-Correlation-Id";

    public static IApplicationBuilder UseCorrelationId(this IApplicationBuilder app)
    {
        // Once, not per request: the logger factory takes a lock to hand out a logger.
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("FlexWhere.Gateway");
        return app.Use(async (context, next) =>
        {
            var supplied = context.Request.Headers[Header].ToString();
            var id = SaneId().IsMatch(supplied) ? supplied : Activity.Current?.TraceId.ToString() ?? Guid.NewGuid().ToString("N");
            context.Request.Headers[Header] = id;
            context.Response.Headers[Header] = id;
            Activity.Current?.SetTag("correlation.id", id);

            using (logger.BeginScope(new KeyValuePair<string, object>[] { new("CorrelationId", id) }))
            {
                await next(context);
            }
        });
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{8,64}$")]
    private static partial Regex SaneId();
}
