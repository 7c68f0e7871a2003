using System.ComponentModel.DataAnnotations;

namespace FlexWhere.Challenges;

public sealed class ChallengeOptions
{
    public const string SectionName = "Challenges";

    /// <summary>The HMAC key one-time codes are hashed with before they reach Redis. An AppHost
    /// parameter (generated in Development); never in the repository.</summary>
    [Required(ErrorMessage = "Challenges:CodeHashKey is not set: give the Challenges service a random key of at least 32 characters (the " +
        "AppHost generates one in Development).")]
    [MinLength(32, ErrorMessage = "Challenges:CodeHashKey must be at least 32 characters long.")]
    public string CodeHashKey { get; set; } = "";

    /// <summary>How long a code is valid. Ten minutes at most: a longer window only helps a guesser.</summary>
    [SettingRange("00:00:30", "00:10:00")]
    public TimeSpan CodeTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Wrong codes that kill a challenge (Twilio Verify's default).</summary>
    [SettingRange(1, 10)]
    public int MaxAttempts { get; set; } = 5;

    [SettingRange("00:00:01", "00:10:00")]
    public TimeSpan ResendCooldown { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an expired or used challenge still answers its status (and "expired" rather
    /// than "not found") before Redis drops it.</summary>
    [SettingRange("00:01:00", "1.00:00:00")]
    public TimeSpan StatusRetention { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>When set, SMS texts end with <c>@domain #code</c> so phones autofill the code on that site only.</summary>
    [RegularExpression(@"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$",
        ErrorMessage = "Challenges:AutofillDomain must be a lower-case host name such as app.flexwhere.com.")]
    public string? AutofillDomain { get; set; }

    /// <summary>How long a caller waits for the broker to take a SendSms before being told the code was not sent.</summary>
    [SettingRange("00:00:00.100", "00:00:30")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Replicas that must have a verify's write (a code used up, a wrong attempt counted) before it is
    /// answered; 0 on a single Redis. Replication is asynchronous: on a Redis Cluster with replicas, 1 keeps a
    /// used code used when its primary dies and the replica takes over (docs/reliability.md).</summary>
    [SettingRange(0, 5)]
    public int ReplicasToAcknowledge { get; set; }

    /// <summary>How long a verify waits for <see cref="ReplicasToAcknowledge"/>; it is answered after that all the
    /// same (a replica that is down would otherwise stop every sign-in), with a warning in the log.</summary>
    [SettingRange("00:00:00.010", "00:00:02")]
    public TimeSpan ReplicaAcknowledgeTimeout { get; set; } = TimeSpan.FromMilliseconds(50);
}
