namespace FlexWhere.Accounts.Audit;

public sealed record AuditEntryDto(long Id, DateTimeOffset At, string Event, Guid? ActorUserId, Guid? SubjectUserId, string? ClientIp,
    string? Details, string? ActorEmail = null, string? SubjectEmail = null);

public sealed record AuditPage(IReadOnlyList<AuditEntryDto> Items, int Page, int PageSize, int Total);

public static class AuditApi
{
    /// <summary>The most rows one CSV export holds; narrow the filters for more.</summary>
    public const int MaxExportRows = 10_000;

    /// <summary>Every event the log records, for the filter's choices.</summary>
    public static readonly IReadOnlyList<string> Events = [.. typeof(AuditEvents)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(field => field.IsLiteral).Select(field => (string)field.GetRawConstantValue()!).Distinct().Order(StringComparer.Ordinal)];

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/api/audit").WithTags("Audit").RequireAuthorization(Policies.Admin);
        audit.MapGet("", List).WithName("ListAuditEntries")
            .WithSummary("Your organisation's security events, newest first; from inclusive, to exclusive.");
        audit.MapGet("/events", () => TypedResults.Ok(Events)).WithName("ListAuditEvents").WithSummary("The events the log records.");
        audit.MapGet("/export.csv", Export).WithName("ExportAuditEntries").Produces<string>(contentType: "text/csv")
            .WithSummary($"The entries the filters select, newest first, as a CSV file (at most {MaxExportRows}).");
        return app;
    }

    public static async Task<Results<Ok<AuditPage>, ApiProblem>> List(
        ClaimsPrincipal principal, AccountsDbContext db, CancellationToken cancellationToken, int page = 1, int pageSize = 50,
            string? @event = null, Guid? userId = null, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        if (page < 1 || pageSize is < 1 or > 200) return ApiProblem.Validation(page < 1 ? "page" : "pageSize",
            "page starts at 1; pageSize is 1 to 200.");
        if (Filter(principal, db, @event, userId, from, to) is not { } query) return Refusal(@event, from, to);

        var total = await query.CountAsync(cancellationToken);
        var items = await Rows(db, query.OrderByDescending(e => e.Id).Skip((page - 1) * pageSize).Take(pageSize), cancellationToken);
        return TypedResults.Ok(new AuditPage(items, page, pageSize, total));
    }

    public static async Task<Results<FileContentHttpResult, ApiProblem>> Export(
        ClaimsPrincipal principal, AccountsDbContext db, CancellationToken cancellationToken, string? @event = null, Guid? userId = null,
            DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        if (Filter(principal, db, @event, userId, from, to) is not { } query) return Refusal(@event, from, to);

        var rows = await Rows(db, query.OrderByDescending(e => e.Id).Take(MaxExportRows), cancellationToken);
        var csv = Csv.Write(rows.Select(e => new[]
        {
            e.At.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), e.Event,
            e.ActorEmail, e.SubjectEmail, e.ClientIp, e.Details is null ? null : Csv.MaskNumbers(e.Details),
        }).Prepend(["at", "event", "actor", "subject", "clientIp", "details"]));
        return Csv.File(csv, "audit-log.csv");
    }

    /// <summary>The caller's organisation's entries the filters select; null when a filter is not one the log can hold.</summary>
    private static IQueryable<AuditEntry>? Filter(ClaimsPrincipal principal, AccountsDbContext db, string? @event, Guid? userId,
        DateTimeOffset? from, DateTimeOffset? to)
    {
        if (!string.IsNullOrEmpty(@event) && !Events.Contains(@event)) return null;
        if (from > to) return null;

        var caller = Caller.From(principal);
        var query = db.AuditEntries.Where(e => e.OrganisationId == caller.OrganisationId);
        if (!string.IsNullOrEmpty(@event)) query = query.Where(e => e.Event == @event);
        if (userId is not null) query = query.Where(e => e.SubjectUserId == userId || e.ActorUserId == userId);
        if (from is { } start) query = query.Where(e => e.At >= start.ToUniversalTime());
        if (to is { } end) query = query.Where(e => e.At < end.ToUniversalTime());
        return query;
    }

    private static ApiProblem Refusal(string? @event, DateTimeOffset? from, DateTimeOffset? to) =>
        from > to
            ? ApiProblem.Validation("from", "from must not be after to.")
            : ApiProblem.Validation("event", $"event is one of GET /api/audit/events ({Events.Count} events), or left out.");

    /// <summary>The entries with the addresses of who acted and whom it concerned (users of the caller's organisation).</summary>
    private static Task<List<AuditEntryDto>> Rows(AccountsDbContext db, IQueryable<AuditEntry> entries,
        CancellationToken cancellationToken) =>
        entries.Select(e => new AuditEntryDto(e.Id, e.At, e.Event, e.ActorUserId, e.SubjectUserId, e.ClientIp, e.Details,
                db.Users.Where(u => u.Id == e.ActorUserId && u.OrganisationId == e.OrganisationId).Select(u => u.Email).FirstOrDefault(),
                db.Users.Where(u => u.Id == e.SubjectUserId && u.OrganisationId == e.OrganisationId).Select(u => u.Email).FirstOrDefault()))
            .ToListAsync(cancellationToken);
}
