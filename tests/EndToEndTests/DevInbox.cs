using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace FlexWhere.EndToEndTests;

/// <summary>The development SMS and mail inboxes through the Gateway: what the providers would have delivered.</summary>
public static partial class DevInbox
{
    public static async Task<int> CountToAsync(HttpClient gateway, string destination, CancellationToken cancellationToken) =>
        (await gateway.GetFromJsonAsync<JsonElement>("/dev/sms", cancellationToken)).EnumerateArray()
            .Count(message => message.GetProperty("to").GetString() == destination);

    /// <summary>The code of the next SMS to <paramref name="destination"/> after the
    /// <paramref name="seen"/> messages it already had (the inbox lists newest first).</summary>
    public static async Task<string> NextCodeAsync(HttpClient gateway, string destination, int seen, CancellationToken cancellationToken)
    {
        while (true)
        {
            var messages = (await gateway.GetFromJsonAsync<JsonElement>("/dev/sms", cancellationToken)).EnumerateArray()
                .Where(message => message.GetProperty("to").GetString() == destination).ToList();
            if (messages.Count > seen && SixDigits().Match(messages[0].GetProperty("body").GetString() ?? "")
                is { Success: true } match) return match.Value;
            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>The text of the newest SMS to <paramref name="destination"/>.</summary>
    public static async Task<string> NewestToAsync(HttpClient gateway, string destination, CancellationToken cancellationToken) =>
        (await gateway.GetFromJsonAsync<JsonElement>("/dev/sms", cancellationToken)).EnumerateArray()
            .First(message => message.GetProperty("to").GetString() == destination).GetProperty("body").GetString()!;

    /// <summary>The newest e-mail to <paramref name="to"/> whose subject is <paramref name="subject"/> (waiting for it):
    /// its body, and the token of the link in it.</summary>
    public static async Task<(string Body, string Token)> MailAsync(HttpClient gateway, string to, string subject,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            var mail = (await gateway.GetFromJsonAsync<JsonElement>("/dev/mail", cancellationToken)).EnumerateArray()
                .FirstOrDefault(message => message.GetProperty("to").GetString() == to && message.GetProperty("subject").GetString() == subject);
            if (mail.ValueKind == JsonValueKind.Object)
            {
                var body = mail.GetProperty("body").GetString()!;
                return (body, LinkToken().Match(body).Groups[1].Value);
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex SixDigits();

    [GeneratedRegex(@"#/password\?token=([A-Za-z0-9_-]+)")]
    private static partial Regex LinkToken();
}
