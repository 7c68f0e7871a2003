using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>Reads codes the way a developer does: from the development SMS inbox through the Gateway (GET /dev/sms, newest
/// first).</summary>
public sealed partial class DevelopmentInbox(HttpClient gateway)
{
    public sealed record Sms(string To, string Body, DateTimeOffset SentAt);

    public async Task<DateTimeOffset?> LatestSentAtAsync(string to, CancellationToken cancellationToken) =>
        (await ReadAsync(cancellationToken)).FirstOrDefault(sms => sms.To == to)?.SentAt;

    /// <summary>The code of the first SMS to <paramref name="to"/> sent after <paramref name="after"/>.</summary>
    public async Task<string> WaitForCodeAsync(string to, DateTimeOffset? after, CancellationToken cancellationToken)
    {
        while (true)
        {
            var sms = (await ReadAsync(cancellationToken)).FirstOrDefault(sms => sms.To == to && (after is null || sms.SentAt > after));
            if (sms is not null) return Code().Match(sms.Body) is { Success: true } match ? match.Groups[1].Value
                : throw new InvalidOperationException($"No code in \"{sms.Body}\".");
            await Task.Delay(200, cancellationToken);
        }
    }

    private async Task<List<Sms>> ReadAsync(CancellationToken cancellationToken) =>
        await gateway.GetFromJsonAsync<List<Sms>>("/dev/sms", cancellationToken) ?? [];

    [GeneratedRegex(@"code is (\d{4,10})")]
    private static partial Regex Code();
}
