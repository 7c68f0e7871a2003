using MailKit.Security;

namespace FlexWhere.Notifier.Email;

/// <summary>The mail server the Notifier sends through outside Development (<c>Smtp__Host</c> and the rest).</summary>
public sealed class SmtpOptions
{
    public const string SectionName = "Smtp";

    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[$"{SectionName}:{nameof(Host)}"]);

    [Required(ErrorMessage = "Smtp:Host is not set: the mail server to send invitations and password links through.")]
    public string Host { get; set; } = "";

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    /// <summary><c>StartTls</c> (port 587, the default), <c>SslOnConnect</c> (465), or <c>None</c> for a relay on the same
    /// network only.</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

    /// <summary>Left empty for a relay that takes mail without signing in.</summary>
    public string? UserName { get; set; }

    public string? Password { get; set; }

    [Required(ErrorMessage = "Smtp:From is not set: the address e-mails come from, e.g. no-reply@flexwhere.example.")]
    [EmailAddress(ErrorMessage = "Smtp:From must be an e-mail address.")]
    public string From { get; set; } = "";

    public string FromName { get; set; } = "FlexWhere";

    /// <summary>One connection and send, end to end.</summary>
    [SettingRange("00:00:01", "00:05:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries inside one delivery, for answers that say "later" (4xx) and broken connections.</summary>
    [SettingRange(0, 10)]
    public int MaxRetryAttempts { get; set; } = 3;

    [SettingRange("00:00:00.010", "00:01:00")]
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);
}
