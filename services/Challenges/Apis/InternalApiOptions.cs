using System.ComponentModel.DataAnnotations;

namespace FlexWhere.Challenges.Apis;

public sealed class InternalApiOptions
{
    public const string SectionName = "InternalApi";

    public const string HeaderName = "X-Internal-Api-Key";

    /// <summary>The key services send in <see cref="HeaderName"/>; the AppHost parameter <c>internal-api-key</c>.</summary>
    [Required(ErrorMessage = "InternalApi:Key is not set: give Challenges the shared service key of at least 32 characters (the AppHost parameter internal-api-key).")]
    [MinLength(32, ErrorMessage = "InternalApi:Key must be at least 32 characters long.")]
    public string Key { get; set; } = "";
}
