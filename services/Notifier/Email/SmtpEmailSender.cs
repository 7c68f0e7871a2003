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

    public SmtpEmailSender(IOptions<SmtpOptions> options, TimeProvider timeProvider)
    {
        _options = options.Value;
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

    public async Task SendAsync(OutgoingEmail email, CancellationToken cancellationToken)
    {
        var message = Compose(email);
        try
        {
            await _pipeline.ExecuteAsync(async token => await SendOnceAsync(message, token), cancellationToken);
        }
        catch (SmtpCommandException refused)
        {
            throw new EmailSendException($"smtp_{(int)refused.StatusCode}", permanent: (int)refused.StatusCode >= 500);
        }
    }

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

    private async Task SendOnceAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var client = new SmtpClient();
        try
        {
            await client.ConnectAsync(_options.Host, _options.Port, _options.Security, cancellationToken);
            if (!string.IsNullOrEmpty(_options.UserName))
            {
                await client.AuthenticateAsync(_options.UserName, _options.Password ?? "", cancellationToken);
            }
            await client.SendAsync(message, cancellationToken);
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
