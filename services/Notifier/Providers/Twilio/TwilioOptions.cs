namespace FlexWhere.Notifier.Providers.Twilio;

/// <summary>
/// The Twilio account. Credentials come from the environment or user secrets (the AppHost passes
/// them on only when set); without an AccountSid the development inbox is used instead.
/// </summary>
public sealed class TwilioOptions : IValidatableObject
{
    public const string SectionName = "Twilio";

    [Required(ErrorMessage = "Twilio:AccountSid is not set.")]
    [RegularExpression("^AC[0-9a-fA-F]{32}$", ErrorMessage = "Twilio:AccountSid must look like AC followed by 32 hexadecimal characters.")]
    public string AccountSid { get; set; } = "";

    [Required(ErrorMessage = "Twilio:AuthToken is not set: copy it from the Twilio console into user secrets or the environment, never " +
        "into the repository.")]
    public string AuthToken { get; set; } = "";

    /// <summary>The sending number (E.164). Either this or <see cref="MessagingServiceSid"/>.</summary>
    [RegularExpression(@"^\+[1-9][0-9]{6,14}$", ErrorMessage = "Twilio:From must be an E.164 number such as +3197010000000.")]
    public string? From { get; set; }

    [RegularExpression("^MG[0-9a-fA-F]{32}$",
        ErrorMessage = "Twilio:MessagingServiceSid must look like MG followed by 32 hexadecimal characters.")]
    public string? MessagingServiceSid { get; set; }

    /// <summary>The public URL Twilio posts delivery reports to (through the Gateway). Signatures are
    /// checked against exactly this URL, so it must be the one Twilio sees.</summary>
    [Required(ErrorMessage = "Twilio:StatusCallbackUrl is not set: give the public URL of /api/notifier/twilio/status.")]
    public Uri? StatusCallbackUrl { get; set; }

    /// <summary>For tests only: sends the SDK's requests to a fake Twilio server instead of api.twilio.com.</summary>
    public Uri? BaseUrl { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(From) == string.IsNullOrWhiteSpace(MessagingServiceSid))
        {
            yield return new ValidationResult("Set exactly one of Twilio:From and Twilio:MessagingServiceSid.",
                [nameof(From), nameof(MessagingServiceSid)]);
        }

        if (StatusCallbackUrl is { IsAbsoluteUri: false } || StatusCallbackUrl is { Scheme: not ("https" or "http") })
        {
            yield return new ValidationResult("Twilio:StatusCallbackUrl must be an absolute http(s) URL.", [nameof(StatusCallbackUrl)]);
        }
    }

    /// <summary>Twilio is used only when an account is configured.</summary>
    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[$"{SectionName}:{nameof(AccountSid)}"]);
}
