using FlexWhere.Testing.Smtp;
using MailKit.Net.Smtp;
using MimeKit;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>The test SMTP server itself: what it received can be read from many threads at once, as R1 does.</summary>
public sealed class SmtpSinkTests
{
    /// <summary>MimeKit fills a message's <c>To</c> on first use, without a lock; read from several threads at once for the first
    /// time, a message could list its one recipient twice (R1 failed so twice on 2026-12-02). The sink fills it first.</summary>
    [Fact]
    public async Task A_received_message_read_from_many_threads_at_once_has_its_one_recipient_once()
    {
        await using var server = SmtpSink.Start();
        using (var client = new SmtpClient())
        {
            await client.ConnectAsync("127.0.0.1", server.Port, MailKit.Security.SecureSocketOptions.None);
            for (var i = 0; i < 50; i++)
            {
                var message = new MimeMessage { Subject = "Onderwerp", Body = new TextPart("plain") { Text = "Tekst." } };
                message.From.Add(MailboxAddress.Parse("no-reply@flexwhere.test"));
                message.To.Add(MailboxAddress.Parse($"r-{i}@example.test"));
                await client.SendAsync(message);
            }

            await client.DisconnectAsync(quit: true);
        }

        foreach (var mail in server.Received)
        {
            using var start = new Barrier(8);
            var counts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            {
                start.SignalAndWait();
                return mail.To.Mailboxes.Count();
            })));
            Assert.All(counts, count => Assert.Equal(1, count));
        }
    }
}
