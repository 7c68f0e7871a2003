using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MimeKit;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace FlexWhere.Notifier.Email;

/// <summary>One e-mail as the Notifier hands it on: already rendered, with the id its <c>Message-ID</c> is made of.</summary>
public sealed record OutgoingEmail(Guid MessageId, string To, string MaskedTo, string Subject, string Body);

/// <summary>Hands one e-mail to the mail system.</summary>
public interface IEmailSender
{
    /// <exception cref="EmailSendException">Refused for good (<see cref="EmailSendException.Permanent"/>) or not taken now.</exception>
    Task SendAsync(OutgoingEmail email, CancellationToken cancellationToken);
}

/// <summary>The mail server refused the message; <see cref="Reason"/> names the reply code. Not the server's words, nor
/// the exception that carried them: replies often quote the address, and this message goes to logs and the error queue.</summary>
public sealed class EmailSendException(string reason, bool permanent)
    : Exception($"The mail server did not take the e-mail: {reason}.")
{
    public string Reason { get; } = reason;

    public bool Permanent { get; } = permanent;
}

/// <summary>
/// SMTP through MailKit, with a Polly pipeline of its own: a per-attempt timeout, and retries with
/// back-off for what says "later": a 4xx reply (greylisting, a full queue), a broken or refused
/// connection, a timeout. A 5xx reply is final (an address that does not exist stays so). The second
/// layer is MassTransit's retry of the whole message, then the error queue (<c>send-email_error</c>).
/// </summary>
public sealed class SmtpEmailSender : IEmailSender
{
    private readonly SmtpOptions _options;
    private readonly ResiliencePipeline _pipeline;
    private readonly ILogger<SmtpEmailSender> _logger;

    public SmtpEmailSender(IOptions<SmtpOptions> options, TimeProvider timeProvider, ILogger<SmtpEmailSender> logger)
    {
        _options = options.Value;
        _logger = logger;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(_options.MaxRetryAttempts, 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.BaseDelay,
                ShouldHandle = args => ValueTask.FromResult(_options.MaxRetryAttempts > 0 && IsTransient(args.Outcome.Exception)),
            })
            .AddTimeout(_options.AttemptTimeout)
            .Build();
    }

    /// <remarks>The caller's cancellation (MassTransit cancels a consume when the broker connection drops, or the host stops)
    /// ends an attempt only until the message's content is on its way to the server. From then on the attempt is finished,
    /// within its own timeout: cut off after the server kept the message, it would leave no sent record, and the message's
    /// redelivery would send the e-mail a second time. No attempt starts once the caller has cancelled.</remarks>
    public async Task SendAsync(OutgoingEmail email, CancellationToken cancellationToken)
    {
        var message = Compose(email);
        using var cancellation = new CancellableUntilContent(cancellationToken);
        try
        {
            await _pipeline.ExecuteAsync(async token =>
            {
                cancellation.BeginAttempt();
                try
                {
                    await SendOnceAsync(message, cancellation, token);
                }
                catch (Exception failed) when (IsTransient(failed) || TimedOut(failed, token, cancellation.Token))
                {
                    LogFailedAttempt(email, failed, cancellation.ContentOnItsWay);
                    throw;
                }
            }, cancellation.Token);
        }
        catch (SmtpCommandException refused)
        {
            throw new EmailSendException($"smtp_{(int)refused.StatusCode}", permanent: (int)refused.StatusCode >= 500);
        }
    }

    /// <summary>
    /// Each attempt that failed in a way the pipeline tries again (or gives up on, after the last). A lost connection or a timeout
    /// after the content went out leaves it unknown whether the server kept the message: the next attempt may make a second copy
    /// (with the same <c>Message-ID</c>), and without this line nothing would say so. The address is never logged in full.
    /// </summary>
    private void LogFailedAttempt(OutgoingEmail email, Exception failed, bool contentOnItsWay)
    {
        var failure = failed switch
        {
            SmtpCommandException refused => $"the server answered {(int)refused.StatusCode}",
            OperationCanceledException => $"no answer within {_options.AttemptTimeout.TotalSeconds:0.#} s",
            _ => failed.GetType().Name,
        };
        if (failed is SmtpCommandException || !contentOnItsWay)
        {
            _logger.LogWarning("An SMTP attempt for e-mail {MessageId} to {Destination} failed ({Failure}); the server kept nothing",
                email.MessageId, email.MaskedTo, failure);
        }
        else
        {
            _logger.LogWarning("An SMTP attempt for e-mail {MessageId} to {Destination} failed ({Failure}) after its content went out; " +
                "the server may have kept it, and another attempt may deliver a second copy with the same Message-ID",
                email.MessageId, email.MaskedTo, failure);
        }
    }

    /// <summary>The attempt's own timeout ended it (the pipeline then reports <see cref="TimeoutRejectedException"/>), not the
    /// caller's cancellation.</summary>
    private static bool TimedOut(Exception failed, CancellationToken attempt, CancellationToken caller) =>
        failed is OperationCanceledException && attempt.IsCancellationRequested && !caller.IsCancellationRequested;

    /// <summary>"Later" answers and lost connections; never a 5xx, a failed sign-in to the server or a bad message.</summary>
    public static bool IsTransient(Exception? failure) => failure switch
    {
        SmtpCommandException command => (int)command.StatusCode is >= 400 and < 500,
        SmtpProtocolException or ServiceNotConnectedException or SocketException or IOException or TimeoutRejectedException => true,
        _ => false,
    };

    private MimeMessage Compose(OutgoingEmail email)
    {
        var message = new MimeMessage
        {
            Subject = email.Subject,
            Body = new TextPart("plain") { Text = email.Body },
            // The same id on every attempt: a copy sent again after a lost outcome is the same message to mailboxes.
            MessageId = $"{email.MessageId:N}@{MailboxAddress.Parse(_options.From).Domain}",
        };
        message.From.Add(new MailboxAddress(_options.FromName, _options.From));
        message.To.Add(MailboxAddress.Parse(email.To));
        return message;
    }

    private async Task SendOnceAsync(MimeMessage message, ITransferProgress content, CancellationToken cancellationToken)
    {
        var client = new SmtpClient();
        try
        {
            await client.ConnectAsync(_options.Host, _options.Port, _options.Security, cancellationToken);
            if (!string.IsNullOrEmpty(_options.UserName))
            {
                await client.AuthenticateAsync(_options.UserName, _options.Password ?? "", cancellationToken);
            }
            await client.SendAsync(message, cancellationToken, content);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        // The server has the message (its 250): the caller records it as sent at once, while the goodbye goes on. Waiting for
        // the QUIT's reply first would widen the window in which a killed Notifier sends the e-mail a second time.
        _ = QuitAsync(client);
    }

    /// <summary>The caller's cancellation, passed on to an attempt until MailKit reports the first bytes of the message's
    /// content (its DATA or BDAT): before the final dot the server keeps nothing, so a cut-off attempt sent nothing.</summary>
    private sealed class CancellableUntilContent : ITransferProgress, IDisposable
    {
        private readonly CancellationToken _caller;
        private readonly CancellationTokenSource _attempts = new();
        private readonly CancellationTokenRegistration _registration;
        private volatile bool _contentOnItsWay;

        public CancellableUntilContent(CancellationToken caller)
        {
            _caller = caller;
            _registration = caller.Register(() =>
            {
                if (!_contentOnItsWay) _attempts.Cancel();
            });
        }

        public CancellationToken Token => _attempts.Token;

        /// <summary>Whether this attempt's content has begun to go out: from then on the server may keep the message.</summary>
        public bool ContentOnItsWay => _contentOnItsWay;

        public void BeginAttempt()
        {
            _contentOnItsWay = false;
            if (_caller.IsCancellationRequested) _attempts.Cancel();
            _attempts.Token.ThrowIfCancellationRequested();
        }

        public void Report(long bytesTransferred, long totalSize) => _contentOnItsWay = true;

        public void Report(long bytesTransferred) => _contentOnItsWay = true;

        public void Dispose()
        {
            _registration.Dispose();
            _attempts.Dispose();
        }
    }

    private static async Task QuitAsync(SmtpClient client)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.DisconnectAsync(quit: true, timeout.Token);
        }
        catch (Exception)
        {
            // Sent already: a failed goodbye is no reason to send again, nor to fail the message.
        }
        finally
        {
            client.Dispose();
        }
    }
}
