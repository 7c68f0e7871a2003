using System.Text;
using System.Text.RegularExpressions;
using FlexWhere.Contracts;
using FlexWhere.Notifier.Sending;
using FlexWhere.Reliability.Tests.Processes;
using FlexWhere.Testing.Smtp;
using MassTransit;
using MimeKit;
using StackExchange.Redis;

namespace FlexWhere.Reliability.Tests.Delivery;

/// <summary>
/// R1's e-mails: one wave of SendEmail published just before each kill of the Notifier (e-mail has no send
/// rate, so a burst at the start would be gone before the first kill), to an SMTP server on a loopback socket
/// that answers each message late. At each kill it notes which e-mails the server had but the Notifier had not
/// recorded as sent in Redis: the SMTP window, the only e-mails that may arrive twice.
/// </summary>
public sealed partial class EmailBurst : IAsyncDisposable
{
    /// <summary>A slow server: 50 ms between keeping a message and its 250, so that a wave of 50 takes a few
    /// hundred ms at 16 at a time and the kill finds e-mails on the wire, in the server's hands and queued.</summary>
    private static readonly TimeSpan ReplyDelay = TimeSpan.FromMilliseconds(50);

    private const string From = "no-reply@flexwhere.test";

    private readonly SmtpSink _server = SmtpSink.Start(ReplyDelay);
    private readonly ConnectionMultiplexer _redis;
    private readonly SendEmail[][] _waves;
    private int _wavesPublished;

    private EmailBurst(ConnectionMultiplexer redis, SendEmail[] emails, int waves)
    {
        _redis = redis;
        _waves = emails.Chunk((emails.Length + waves - 1) / waves).ToArray();
    }

    /// <summary>What the server had when the Notifier died: how many published e-mails it did not have yet, and
    /// which it had that the Notifier had not recorded as sent.</summary>
    public sealed record KillSnapshot(int Unsent, IReadOnlySet<Guid> InWindow);

    public List<KillSnapshot> Kills { get; } = [];

    public IEnumerable<SendEmail> Published => _waves.Take(_wavesPublished).SelectMany(wave => wave);

    public int AtServer => Addresses().Count;

    public static async Task<EmailBurst> StartAsync(int total, int waves, string redis) =>
        new(await ConnectionMultiplexer.ConnectAsync(redis), Enumerable.Range(0, total).Select(NewEmail).ToArray(), waves);

    public Dictionary<string, string> NotifierSettings() => new()
    {
        ["Smtp__Host"] = "127.0.0.1",
        ["Smtp__Port"] = _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Smtp__Security"] = "None",
        ["Smtp__From"] = From,
        ["Smtp__BaseDelay"] = "00:00:00.050",
    };

    /// <summary>Publishes the next wave, kills the Notifier once a third of it reached the server, and notes the
    /// window. The caller starts the Notifier again.</summary>
    public async Task<string> KillAmidNextWaveAsync(ServiceProcess notifier, IPublishEndpoint publisher)
    {
        var wave = _waves[_wavesPublished++];
        // The rest of the wave waits at the server's door until the kill: on a busy machine the Notifier would
        // otherwise send it all before the kill lands, and the kill would test nothing about e-mail.
        // Only this wave's e-mails count: a Notifier started after a kill may still be sending the waves before it (a message
        // its dead predecessor held waits for the claim to expire), and those would shut the door before a third of this
        // wave is in, and the kill would wait out its time limit. A clean-clone run once did, with 84 e-mails unsent at the
        // kill; that this was the cause is likely, not proven.
        var ofWave = wave.Select(email => email.To).ToHashSet();
        _server.HoldMailOnce(mail => Recipients(mail).Any(ofWave.Contains), wave.Length / 3);
        await Task.WhenAll(wave.Select(email => publisher.Publish(email)));
        await UntilAsync(() => Addresses().Count(ofWave.Contains) >= wave.Length / 3, TimeSpan.FromSeconds(30));
        await notifier.KillAsync();
        _server.Release();
        // Every connection of the dead Notifier ends: then the server has everything it will ever get from it.
        await UntilAsync(() => _server.OpenSessions == 0, TimeSpan.FromSeconds(10));
        var atServer = Addresses();
        var published = Published.ToArray();
        var inWindow = await NotRecordedAsync(published.Where(email => atServer.Contains(email.To)));
        var snapshot = new KillSnapshot(published.Count(email => !atServer.Contains(email.To)), inWindow);
        Kills.Add(snapshot);
        return $"{snapshot.Unsent} e-mails unsent, {inWindow.Count} at the server but not recorded as sent";
    }

    /// <summary>Every published e-mail is at the server and recorded as sent: no copy can follow, since a copy is
    /// sent only by a consumer that found no sent record.</summary>
    public async Task<bool> AllSentAsync()
    {
        var (published, atServer) = (Published.ToArray(), Addresses());
        if (published.Any(email => !atServer.Contains(email.To))) return false;
        var sent = await _redis.GetDatabase().KeyExistsAsync(published.Select(email => SentKey(email.MessageId)).ToArray());
        return sent == published.Length;
    }

    public EmailOutcome Outcome()
    {
        var published = Published.ToArray();
        var received = _server.Received.ToArray();
        var copies = received.SelectMany(mail => Recipients(mail).Select(address => (Address: address, Mail: mail)))
            .GroupBy(copy => copy.Address)
            .ToDictionary(group => group.Key, group => group.Select(copy => copy.Mail.MessageId ?? "").ToArray());
        string[] CopiesOf(SendEmail email) => copies.GetValueOrDefault(email.To, []);
        var firstIds = published.Where(email => CopiesOf(email).Length > 0).Select(email => CopiesOf(email)[0]);
        var duplicated = published.Where(email => CopiesOf(email).Length > 1).ToArray();
        return new EmailOutcome(
            Published: published.Length,
            Lost: published.Where(email => CopiesOf(email).Length == 0).Select(email => email.MessageId).ToArray(),
            Duplicated: duplicated.Length,
            ExtraCopies: duplicated.Sum(email => CopiesOf(email).Length - 1),
            OutsideTheWindow: duplicated.Where(email => !Kills.Any(kill => kill.InWindow.Contains(email.MessageId)))
                .Select(email => email.MessageId).ToArray(),
            WithAnotherMessageId: published.Where(email => CopiesOf(email).Any(id => string.IsNullOrEmpty(id) || id != CopiesOf(email)[0]))
                .Select(email => email.MessageId).ToArray(),
            SharedMessageIds: firstIds.GroupBy(id => id).Where(group => group.Count() > 1).Select(group => group.Key).ToArray(),
            ToStrangers: copies.Keys.Except(published.Select(email => email.To)).Count(),
            NotOneRecipient: received.Where(mail => mail.To.Mailboxes.Count() != 1 || mail.Cc.Count > 0 || mail.Bcc.Count > 0)
                .Select(mail => $"{mail.MessageId}: To: {mail.To}; Cc: {mail.Cc}; Bcc: {mail.Bcc}; the headers as received: " +
                    string.Join(" | ", mail.Headers.Select(header => $"{header.Field}: {header.Value}"))).ToArray());
    }

    /// <summary>Lines of the Notifier's log with a recipient's full address or a link's token, and how many lines name a
    /// recipient's domain at all (the masked form, r•••@example.test): without those the scan would prove nothing.</summary>
    public (List<string> Leaks, int LinesNamingARecipient) ScanLog(string logPath)
    {
        var secrets = Published.SelectMany(email => new[] { email.To, LinkToken().Match(email.Link).Value }).ToHashSet();
        var leaks = new List<string>();
        var naming = 0;
        foreach (var line in File.ReadLines(logPath, Encoding.UTF8))
        {
            if (line.Contains("@example.test", StringComparison.Ordinal)) naming++;
            var tokens = Address().Matches(line).Concat(LinkToken().Matches(line)).Select(match => match.Value);
            if (tokens.Any(secrets.Contains)) leaks.Add(line);
        }

        return (leaks, naming);
    }

    private HashSet<string> Addresses() => _server.Received.SelectMany(Recipients).ToHashSet();

    /// <summary>Every address the message is to: one, unless the Notifier composed it wrong (<see cref="EmailOutcome.NotOneRecipient"/>;
    /// a clean-clone run on 2026-12-01 met a message with more than one during its third wave, and the run stopped
    /// there, its logs lost, until this counted it instead).</summary>
    private static IEnumerable<string> Recipients(MimeMessage mail) => mail.To.Mailboxes.Select(mailbox => mailbox.Address);

    private async Task<HashSet<Guid>> NotRecordedAsync(IEnumerable<SendEmail> emails)
    {
        var database = _redis.GetDatabase();
        var checks = emails.Select(email => (email.MessageId, Recorded: database.KeyExistsAsync(SentKey(email.MessageId)))).ToArray();
        await Task.WhenAll(checks.Select(check => check.Recorded));
        return checks.Where(check => !check.Recorded.Result).Select(check => check.MessageId).ToHashSet();
    }

    private static RedisKey SentKey(Guid messageId) => NotifierKeys.Sent(messageId, NotifierKeys.Email);

    private static async Task UntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (!condition() && DateTime.UtcNow < until) await Task.Delay(10);
    }

    /// <summary>Each e-mail has a recipient of its own, so the server's copies count per message.</summary>
    private static SendEmail NewEmail(int index) => new()
    {
        MessageId = Guid.NewGuid(),
        To = $"r1-mail-{index}@example.test",
        MaskedTo = "r•••@example.test",
        TemplateId = index % 2 == 0 ? EmailTemplates.Invitation : EmailTemplates.PasswordReset,
        Locale = index % 3 == 0 ? "nl" : "en",
        RecipientName = $"Recipient {index}",
        OrganisationName = "Acme B.V.",
        Link = $"https://flexwhere.test/#/set-password?token=r1tok_{Guid.NewGuid():N}",
        ExpiresAt = DateTimeOffset.UtcNow.AddHours(2),
    };

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+")]
    private static partial Regex Address();

    [GeneratedRegex("r1tok_[0-9a-f]{32}")]
    private static partial Regex LinkToken();

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _redis.DisposeAsync();
    }
}

/// <summary>What reached the server of the e-mails published: copies are told apart by recipient.</summary>
public sealed record EmailOutcome(int Published, Guid[] Lost, int Duplicated, int ExtraCopies, Guid[] OutsideTheWindow,
    Guid[] WithAnotherMessageId, string[] SharedMessageIds, int ToStrangers, string[] NotOneRecipient);
