using FlexWhere.Notifier.Email;
using FlexWhere.Testing.Smtp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Polly.Timeout;

namespace FlexWhere.Notifier.IntegrationTests;

/// <summary>The sender (MailKit, over a real socket) and its caller's cancellation: honoured until the message's content is on its
/// way, ignored after, when stopping would leave an e-mail the server kept without a sent record.</summary>
public sealed class SmtpSenderCancellationTests
{
    private static SmtpEmailSender SenderTo(SmtpSink server, TimeSpan? retryDelay = null, TimeSpan? attemptTimeout = null,
        ILogger<SmtpEmailSender>? logger = null) =>
        new(Microsoft.Extensions.Options.Options.Create(new SmtpOptions
    {
        Host = "127.0.0.1",
        Port = server.Port,
        Security = MailKit.Security.SecureSocketOptions.None,
        From = "no-reply@flexwhere.test",
        AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(20),
        BaseDelay = retryDelay ?? TimeSpan.FromMilliseconds(50),
        MaxRetryAttempts = 1,
    }), TimeProvider.System, logger ?? NullLogger<SmtpEmailSender>.Instance);

    private static OutgoingEmail Email() => new(Guid.NewGuid(), "j.de.vries@acme.example", "j•••@acme.example", "Onderwerp", "Tekst.");

    [Fact]
    public async Task A_cancellation_before_the_content_stops_the_send_at_once_and_nothing_is_kept()
    {
        await using var server = SmtpSink.Start();
        server.HoldMailOnce(_ => true, 0); // every MAIL waits: the attempt is in its envelope, no content sent yet
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var send = SenderTo(server).SendAsync(Email(), cancellation.Token);

        // Well before the attempt's own 20 s timeout.
        var finished = await Task.WhenAny(send, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.Same(send, finished);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        server.Release();
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task A_cancellation_once_the_server_has_the_message_lets_the_send_finish()
    {
        await using var server = SmtpSink.Start(dataReplyDelay: TimeSpan.FromSeconds(1));
        using var cancellation = new CancellationTokenSource();

        var send = SenderTo(server).SendAsync(Email(), cancellation.Token);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (server.Received.IsEmpty && DateTime.UtcNow < until) await Task.Delay(10);
        Assert.Single(server.Received);
        await cancellation.CancelAsync(); // the server kept it and waits a second before its 250

        await send; // completes: no OperationCanceledException, so the caller records the e-mail as sent
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task No_new_attempt_starts_after_a_cancellation_that_came_while_the_content_was_on_its_way()
    {
        await using var server = SmtpSink.Start();
        server.ScriptDataReplies("451 4.3.0 Try again later"); // the first attempt's content is refused "for now"
        using var cancellation = new CancellationTokenSource();

        // The retry waits about 2 s (with jitter), long enough for the hold and the cancellation below to come first.
        var send = SenderTo(server, retryDelay: TimeSpan.FromSeconds(2)).SendAsync(Email(), cancellation.Token);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (server.DataAttempts == 0 && DateTime.UtcNow < until) await Task.Delay(1);
        server.HoldMailOnce(_ => true, 0); // a second attempt, started anyway, would wait in its envelope until it timed out
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        server.Release();
        Assert.Equal(1, server.DataAttempts);
        Assert.Empty(server.Received);
    }

    /// <summary>An attempt whose answer does not come within its timeout after the server kept the message: the next attempt
    /// delivers a second copy, and each timed-out attempt is logged as one that may have left a copy.</summary>
    [Fact]
    public async Task An_attempt_that_timed_out_after_its_content_is_logged_as_a_possible_second_copy()
    {
        await using var server = SmtpSink.Start(dataReplyDelay: TimeSpan.FromSeconds(3));
        var logger = new FakeLogger<SmtpEmailSender>();
        var email = Email();

        await Assert.ThrowsAsync<TimeoutRejectedException>(() =>
            SenderTo(server, attemptTimeout: TimeSpan.FromSeconds(1), logger: logger).SendAsync(email, CancellationToken.None));

        Assert.Equal(2, server.Received.Count);
        var attempts = logger.Collector.GetSnapshot().Select(log => log.Message).ToArray();
        Assert.Equal(2, attempts.Length);
        Assert.All(attempts, line => Assert.Contains(
            $"e-mail {email.MessageId} to j•••@acme.example failed (no answer within 1 s) after its content went out", line,
            StringComparison.Ordinal));
    }
}
