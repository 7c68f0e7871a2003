using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlexWhere.Notifier.DevInbox;

/// <summary>
/// <c>GET /dev/sms</c> and <c>GET /dev/mail</c> (JSON, newest first), each with a <c>/view</c> page for
/// people. Mapped in Development only, so everywhere else they are 404.
/// </summary>
public static class DevInboxApi
{
    public const string Path = "/dev/sms";
    public const string MailPath = "/dev/mail";

    public static IEndpointRouteBuilder MapDevInboxApi(this IEndpointRouteBuilder app)
    {
        var sms = app.MapGroup(Path).WithTags("Development SMS inbox").ExcludeFromDescription();
        sms.MapGet("", ListMessages);
        sms.MapGet("/view", ViewMessages);
        var mail = app.MapGroup(MailPath).WithTags("Development mail inbox").ExcludeFromDescription();
        mail.MapGet("", ListMail);
        mail.MapGet("/view", ViewMail);
        return app;
    }

    public static async Task<Ok<IReadOnlyList<DevSms>>> ListMessages(DevSmsInbox inbox) => TypedResults.Ok(await inbox.NewestAsync());

    public static async Task<Ok<IReadOnlyList<DevMail>>> ListMail(DevMailInbox inbox) => TypedResults.Ok(await inbox.NewestAsync());

    public static async Task<ContentHttpResult> ViewMessages(DevSmsInbox inbox) =>
        Page("SMS", Path, (await inbox.NewestAsync()).Select(sms => (sms.SentAt, sms.To, (string?)null, sms.Body)));

    public static async Task<ContentHttpResult> ViewMail(DevMailInbox inbox) =>
        Page("mail", MailPath, (await inbox.NewestAsync()).Select(mail => (mail.SentAt, mail.To, (string?)mail.Subject, mail.Body)));

    private static ContentHttpResult Page(string channel, string jsonPath,
        IEnumerable<(DateTimeOffset SentAt, string To, string? Subject, string Body)> messages)
    {
        var html = new StringBuilder($$"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
            <title>FlexWhere development {{channel}} inbox</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:48rem}
            li{margin:.75rem 0;padding:.75rem;border:1px solid #ccc;border-radius:.5rem;list-style:none}
            small{color:#555}p{margin:.25rem 0 0;font-size:1.1rem;white-space:pre-wrap}</style></head><body>
            <h1>Development {{channel}} inbox</h1><p><small>Messages the Notifier would have sent, newest first.
            Refreshes every 5 seconds; JSON at {{jsonPath}}.</small></p><ul>
            """);
        var any = false;
        foreach (var (sentAt, to, subject, body) in messages)
        {
            any = true;
            html.Append("<li><small>").Append(WebUtility.HtmlEncode(sentAt.ToString("u"))).Append(" to ").Append(WebUtility.HtmlEncode(to))
                .Append("</small>");
            if (subject is not null) html.Append("<p><strong>").Append(WebUtility.HtmlEncode(subject)).Append("</strong></p>");
            html.Append("<p>").Append(WebUtility.HtmlEncode(body)).Append("</p></li>");
        }

        if (!any) html.Append("<li>No messages yet.</li>");
        html.Append("</ul></body></html>");
        return TypedResults.Content(html.ToString(), "text/html; charset=utf-8");
    }
}
