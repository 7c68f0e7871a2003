namespace FlexWhere.Challenges.Apis;

/// <summary>The checks the internal requests share (who asks, the number, the language), each adding
/// its field's message for a 400 <c>validation_failed</c>.</summary>
internal sealed class FieldErrors : Dictionary<string, string[]>
{
    public FieldErrors() : base(StringComparer.Ordinal)
    {
    }

    public void RequireIds(Guid organisationId, Guid userId)
    {
        if (organisationId == Guid.Empty) this["organisationId"] = ["Give the organisation's id."];
        if (userId == Guid.Empty) this["userId"] = ["Give the user's id."];
    }

    public Destination? RequirePhone(string field, string? number)
    {
        var destination = Destination.Parse(number);
        if (destination is null) this[field] = ["Give a valid phone number in E.164 form, such as +31612345678."];
        return destination;
    }

    public void RequireLocale(string? locale)
    {
        if (locale is null || !SmsTemplates.Locales.Contains(locale))
        {
            this["locale"] = [$"Use one of: {string.Join(", ", SmsTemplates.Locales)}."];
        }
    }
}
