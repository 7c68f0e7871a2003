namespace FlexWhere.Accounts.Audit;

public sealed record AuditEntryDto(long Id, DateTimeOffset At, string Event, Guid? ActorUserId, Guid? SubjectUserId, string? ClientIp,
    string? Details);

public sealed record AuditPage(IReadOnlyList<AuditEntryDto> Items, int Page, int PageSize, int Total);

public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit", List).WithTags("Audit").RequireAuthorization(Policies.Admin).WithName("ListAuditEntries")
            .WithSummary("Your organisation's security events, newest first.");
        return app;
    }

    public static async Task<Results<Ok<AuditPage>, ApiProblem>> List(
        ClaimsPrincipal principal, AccountsDbContext db, CancellationToken cancellationToken, int page = 1, int pageSize = 50,
            string? @event = null, Guid? userId = null)
    {
        if (page < 1 || pageSize is < 1 or > 200) return ApiProblem.Validation(page < 1 ? "page" : "pageSize",
            "page starts at 1; pageSize is 1 to 200.");

        var caller = Caller.From(principal);
        var query = db.AuditEntries.Where(e => e.OrganisationId == caller.OrganisationId);
        if (!string.IsNullOrWhiteSpace(@event)) query = query.Where(e => e.Event == @event);
        if (userId is not null) query = query.Where(e => e.SubjectUserId == userId || e.ActorUserId == userId);

        var total = await query.CountAsync(cancellationToken);
        var items = await query.OrderByDescending(e => e.Id).Skip((page - 1) * pageSize).Take(pageSize)
            .Select(e => new AuditEntryDto(e.Id, e.At, e.Event, e.ActorUserId, e.SubjectUserId, e.ClientIp, e.Details))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new AuditPage(items, page, pageSize, total));
    }
}
