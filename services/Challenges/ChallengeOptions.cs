using System.ComponentModel.DataAnnotations;

namespace FlexWhere.Challenges;

public sealed class ChallengeOptions
{
    public const string SectionName = "Challenges";

    /// <summary>The HMAC key one-time codes are hashed with before they reach Redis. An AppHost
    /// parameter (generated in Development); never in the repository.</summary>
    [Required(ErrorMessage = "Challenges:CodeHashKey is not set: give the Challenges service a random key of at least 32 characters (the AppHost generates one in Development).")]
    [MinLength(32, ErrorMessage = "Challenges:CodeHashKey must be at least 32 characters long.")]
    public string CodeHashKey { get; set; } = "";
}
