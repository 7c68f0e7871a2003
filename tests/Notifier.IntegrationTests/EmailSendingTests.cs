using FlexWhere.Contracts;
using FlexWhere.Notifier.DevInbox;
using FlexWhere.Notifier.Sending;
using FlexWhere.Testing;
using FlexWhere.Testing.Smtp;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>MailKit, through the Notifier's pipeline, against an SMTP server on a loopback socket (<see cref="SmtpSink"/>);
/// SendEmail arrives over a real RabbitMQ, idempotency records live in a real Redis.</summary>
[Collection(ServersCollection.Name)]
public sealed class EmailSendingTests(RabbitMqServer rabbitMq, RedisServer redis) : IAsyncLifetime
{
    private SmtpSink _smtp = null!;

    private ServerAddresses Servers => new(rabbitMq.ConnectionString, redis.ConnectionString);

    public async Task InitializeAsync()
    {
        await SharedQueues.AssertNobodyConsumesAsync(rabbitMq);
        await DevInboxes.ClearAsync(redis);
        _smtp = SmtpSink.Start();
    }

    public async Task DisposeAsync() => await _smtp.DisposeAsync();

    private Task<NotifierHost> StartNotifierAsync() => NotifierHost.StartAsync(Servers, NotifierHost.SmtpSettings(_smtp.Port));

    private async Task<MimeKit.MimeMessage> ReceivedAsync(SendEmail message)
    {
        await NotifierHost.EventuallyAsync(() => _smtp.Received.Any(mail => mail.MessageId == $"{message.MessageId:N}@flexwhere.test"),
            $"The SMTP server did not receive e-mail {message.MessageId}.");
        return _smtp.Received.Single(mail => mail.MessageId == $"{message.MessageId:N}@flexwhere.test");
    }

    [Fact]
    public async Task Sends_the_dutch_invitation_through_smtp_with_the_link_and_a_message_id_made_of_the_message()
    {
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendEmail(EmailTemplates.Invitation, locale: "nl");

        await notifier.Harness.Bus.Publish(message);
        var mail = await ReceivedAsync(message);

        Assert.Equal($"{message.MessageId:N}@flexwhere.test", mail.MessageId);
        Assert.Equal("no-reply@flexwhere.test", Assert.Single(mail.From.Mailboxes).Address);
        Assert.Equal("j.de.vries@acme.example", Assert.Single(mail.To.Mailboxes).Address);
        Assert.Equal("Je FlexWhere-account staat klaar", mail.Subject);
        Assert.Contains("Hallo Jan de Vries,", mail.TextBody);
        Assert.Contains("Acme B.V. heeft een FlexWhere-account voor je aangemaakt", mail.TextBody);
        Assert.Contains(message.Link, mail.TextBody);
        Assert.Matches(@"tot \d{1,2} [a-z]+ \d{4} om \d{2}:\d{2}\.", mail.TextBody);
        Assert.Contains(notifier.Logs.GetSnapshot(), log => log.Message.Contains("j•••@acme.example"));
        Assert.DoesNotContain(notifier.Logs.GetSnapshot(), log => log.Message.Contains("j.de.vries@acme.example")
            || log.Message.Contains(message.Link));
    }

    [Fact]
    public async Task Sends_the_english_password_link_for_a_locale_it_has_no_text_for()
    {
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendEmail(EmailTemplates.PasswordReset, locale: "de");

        await notifier.Harness.Bus.Publish(message);
        var mail = await ReceivedAsync(message);

        Assert.Equal("Choose a new FlexWhere password", mail.Subject);
        Assert.Contains(message.Link, mail.TextBody);
        Assert.Contains("(Dutch time)", mail.TextBody);
    }

    [Fact]
    public async Task A_message_delivered_twice_and_raced_by_two_replicas_is_one_email()
    {
        await using var first = await StartNotifierAsync();
        await using var second = await StartNotifierAsync();
        var message = NotifierHost.NewSendEmail();

        await Task.WhenAll(first.Harness.Bus.Publish(message), second.Harness.Bus.Publish(message), first.Harness.Bus.Publish(message));
        await ReceivedAsync(message);
        await NotifierHost.EventuallyAsync(() => first.ConsumedSoFar<SendEmail>(m => m.MessageId == message.MessageId).Count
            + second.ConsumedSoFar<SendEmail>(m => m.MessageId == message.MessageId).Count >= 3, "Not every copy was consumed.");

        Assert.Single(_smtp.Received, mail => mail.MessageId == $"{message.MessageId:N}@flexwhere.test");
    }

    [Fact]
    public async Task A_try_again_later_answer_is_retried_and_the_email_goes_out_once()
    {
        _smtp.ScriptDataReplies("451 4.3.0 Mailbox busy, try again later", "421 4.4.2 Connection timed out");
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendEmail();

        await notifier.Harness.Bus.Publish(message);
        await ReceivedAsync(message);

        Assert.Equal(3, _smtp.DataAttempts);
        Assert.Single(_smtp.Received);
        Assert.Null(await ErrorQueues.FindAsync(rabbitMq, "send-email_error", message.MessageId));
        // Each refused attempt is logged, with the message and the masked address only; the server kept nothing.
        var attempts = FailedAttempts(notifier, message.MessageId);
        Assert.Equal(2, attempts.Length);
        Assert.Contains("(the server answered 451); the server kept nothing", attempts[0], StringComparison.Ordinal);
        Assert.Contains("(the server answered 421); the server kept nothing", attempts[1], StringComparison.Ordinal);
        Assert.All(attempts, line => Assert.DoesNotContain(message.To, line, StringComparison.Ordinal));
    }

    /// <summary>
    /// The connection breaks after the content went out and before the server's answer, and the server had kept the message: the
    /// sender's next attempt delivers a second copy with the same Message-ID (SMTP cannot tell; docs/reliability.md, "What
    /// remains"). The log must say so, naming the message: a copy outside a Notifier's death is otherwise unexplained.
    /// </summary>
    [Fact]
    public async Task A_connection_lost_after_the_content_is_logged_as_a_possible_second_copy()
    {
        _smtp.ScriptDataReplies(SmtpSink.KeepAndDrop);
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendEmail();

        await notifier.Harness.Bus.Publish(message);
        await NotifierHost.EventuallyAsync(() => _smtp.Received.Count == 2, "The e-mail did not reach the server twice.");

        Assert.All(_smtp.Received, mail => Assert.Equal($"{message.MessageId:N}@flexwhere.test", mail.MessageId));
        var attempt = Assert.Single(FailedAttempts(notifier, message.MessageId));
        Assert.Contains("after its content went out; the server may have kept it", attempt, StringComparison.Ordinal);
    }

    private static string[] FailedAttempts(NotifierHost notifier, Guid messageId) =>
        [.. notifier.Logs.GetSnapshot().Select(log => log.Message)
            .Where(line => line.StartsWith($"An SMTP attempt for e-mail {messageId}", StringComparison.Ordinal))];

    [Fact]
    public async Task A_final_refusal_is_not_retried_and_leaves_the_message_in_the_error_queue()
    {
        _smtp.ScriptDataReplies("550 5.1.1 No such user here");
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendEmail();

        await notifier.Harness.Bus.Publish(message);
        var dead = await ErrorQueues.WaitForAsync(rabbitMq, "send-email_error", message.MessageId);

        Assert.Contains("MT-Fault-Message=The mail server did not take the e-mail: smtp_550.", dead);
        Assert.DoesNotContain("No such user", dead);
        Assert.Equal(1, _smtp.DataAttempts);
        Assert.Empty(_smtp.Received);
        // Let go, not sent: an operator who moves it back (after fixing the address) gets it sent.
        var keys = notifier.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        Assert.False(await keys.KeyExistsAsync(NotifierKeys.Sent(message.MessageId, NotifierKeys.Email)));
        Assert.False(await keys.KeyExistsAsync(NotifierKeys.Claim(message.MessageId, NotifierKeys.Email)));
    }

    [Fact]
    public async Task A_link_that_expired_in_the_queue_is_not_sent()
    {
        await using var notifier = await StartNotifierAsync();
        var message = NotifierHost.NewSendEmail(expiresIn: TimeSpan.FromSeconds(-1));

        await notifier.Harness.Bus.Publish(message);
        await NotifierHost.EventuallyAsync(() => notifier.ConsumedSoFar<SendEmail>(m => m.MessageId == message.MessageId).Count > 0,
            "The SendEmail was not consumed.");

        Assert.Equal(0, _smtp.DataAttempts);
        Assert.Contains(notifier.Logs.GetSnapshot(), log => log.Message.Contains("its link expired"));
    }

    [Fact]
    public async Task Without_a_mail_server_in_development_the_email_lands_in_the_development_inbox()
    {
        await using var notifier = await NotifierHost.StartAsync(Servers, new Dictionary<string, string?>());
        var message = NotifierHost.NewSendEmail(EmailTemplates.PasswordReset, locale: "en");

        await notifier.Harness.Bus.Publish(message);
        var inbox = notifier.Services.GetRequiredService<DevMailInbox>();
        await NotifierHost.EventuallyAsync(async () => (await inbox.NewestAsync()).Count > 0, "Nothing reached the development inbox.");

        var mail = Assert.Single(await inbox.NewestAsync());
        Assert.Equal("j.de.vries@acme.example", mail.To);
        Assert.Contains(message.Link, mail.Body);
        Assert.Equal(0, _smtp.DataAttempts);
    }
}
