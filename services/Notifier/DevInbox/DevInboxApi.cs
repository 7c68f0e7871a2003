using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlexWhere.Notifier.DevInbox;

/// <summary>
/// <c>GET /dev/sms</c> (JSON, newest first) and <c>GET /dev/sms/view</c> (a page for people).
/// Mapped in Development only, so everywhere else they are 404.
/// </summary>
public static class DevInboxApi
{
    public const string Path = "/dev/sms";

    public static IEndpointRouteBuilder MapDevInboxApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Development SMS inbox").ExcludeFromDescription();
        group.MapGet("", ListMessages);
        group.MapGet("/view", ViewMessages);
        return app;
    }

    public static Ok<IReadOnlyList<DevSms>> ListMessages(DevSmsInbox inbox) => TypedResults.Ok(inbox.Newest());

    public static ContentHttpResult ViewMessages(DevSmsInbox inbox)
    {
        var html = new StringBuilder("""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
            <title>FlexWhere development SMS inbox</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:48rem}
            li{margin:.75rem 0;padding:.75rem;border:1px solid #ccc;border-radius:.5rem;list-style:none}
            small{color:#555}p{margin:.25rem 0 0;font-size:1.1rem}</style></head><body>
            <h1>Development SMS inbox</h1><p><small>Messages the Notifier would have sent, newest first.
            Refreshes every 5 seconds; JSON at /dev/sms.</small></p><ul>
            """);
        var messages = inbox.Newest();
        if (messages.Count == 0) html.Append("<li>No messages yet.</li>");
        foreach (var sms in messages)
        {
            html.Append("<li><small>").Append(WebUtility.HtmlEncode(sms.SentAt.ToString("u"))).Append(" to ")
                .Append(WebUtility.HtmlEncode(sms.To)).Append("</small><p>").Append(WebUtility.HtmlEncode(sms.Body)).Append("</p></li>");
        }

        html.Append("</ul></body></html>");
        return TypedResults.Content(html.ToString(), "text/html; charset=utf-8");
    }
}
