namespace FlexWhere.Contracts;

/// <summary>An organisation has used <see cref="Used"/> of its daily SMS budget of
/// <see cref="Budget"/>; published once per organisation and day when the warning threshold is crossed.</summary>
public sealed record SmsBudgetWarning
{
    public required Guid OrganisationId { get; init; }

    /// <summary>The UTC day the budget counts.</summary>
    public required DateOnly Day { get; init; }
    public required int Used { get; init; }
    public required int Budget { get; init; }
    public required DateTimeOffset WarnedAt { get; init; }
}
