using System.Net;
using System.Security.Cryptography;
using FlexWhere.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FlexWhere.Challenges.IntegrationTests;

/// <summary>
/// The daily SMS budgets: a share of each organisation's kept for priority sends (admins' and
/// managers' sign-in codes), and a platform-wide ceiling beyond which only priority sends go, until
/// a small reserve of its own is spent. Counted in one Redis script, so parallel sends cannot overspend.
/// </summary>
[Collection(ServersCollection.Name)]
public class BudgetTests(RedisServer redis, RabbitMqServer rabbitMq)
{
    [Fact]
    public async Task Ordinary_sends_stop_at_the_share_open_to_everyone_while_a_priority_send_still_goes()
    {
        // 5 a day, 20 % kept back: 4 for everyone, the 5th for priority only.
        using var app = new ChallengesApp(redis, rabbitMq, ("Challenges:Limits:DailySmsBudget", "5"),
            ("Challenges:Limits:PriorityReserveRatio", "0.2"));
        var organisation = Guid.NewGuid();
        ChallengeRequest Next(bool priority = false) => ChallengeRequest.Fresh()
            with { OrganisationId = organisation, Priority = priority };

        for (var i = 0; i < 4; i++) await app.CreateOkAsync(Next());
        using (var ordinary = await app.CreateAsync(Next()))
        {
            await ordinary.AssertProblemAsync(HttpStatusCode.TooManyRequests, "sms_budget_exhausted");
            Assert.Equal("organisation_daily_budget", (await ordinary.ReadProblemAsync()).GetProperty("limit").GetString());
        }

        await app.CreateOkAsync(Next(priority: true));
        using var beyond = await app.CreateAsync(Next(priority: true));
        await beyond.AssertProblemAsync(HttpStatusCode.TooManyRequests, "sms_budget_exhausted");
    }

    [Fact]
    public async Task The_platform_ceiling_refuses_across_organisations_and_lets_priority_sends_use_its_reserve()
    {
        using var app = new ChallengesApp(redis, rabbitMq,
            ("Challenges:Limits:PlatformDailySmsCeiling", "3"), ("Challenges:Limits:PlatformPriorityReserve", "1"));
        OnADayOfItsOwn(app);

        for (var i = 0; i < 3; i++) await app.CreateOkAsync(ChallengeRequest.Fresh());
        using (var ordinary = await app.CreateAsync(ChallengeRequest.Fresh()))
        {
            await ordinary.AssertProblemAsync(HttpStatusCode.TooManyRequests, "sms_budget_exhausted");
            var problem = await ordinary.ReadProblemAsync();
            Assert.Equal("platform_daily_budget", problem.GetProperty("limit").GetString());
            Assert.Contains("Try again tomorrow", problem.GetProperty("detail").GetString());
        }

        await app.CreateOkAsync(ChallengeRequest.Fresh() with { Priority = true });
        using var beyond = await app.CreateAsync(ChallengeRequest.Fresh() with { Priority = true });
        await beyond.AssertProblemAsync(HttpStatusCode.TooManyRequests, "sms_budget_exhausted");
        Assert.Equal("platform_daily_budget", (await beyond.ReadProblemAsync()).GetProperty("limit").GetString());
    }

    [Fact]
    public async Task Parallel_sends_never_overspend_the_organisations_budget_or_its_reserve()
    {
        // 10 a day, 20 % kept back: 8 for everyone, 2 for priority.
        using var app = new ChallengesApp(redis, rabbitMq, ("Challenges:Limits:DailySmsBudget", "10"),
            ("Challenges:Limits:PriorityReserveRatio", "0.2"));
        var organisation = Guid.NewGuid();

        var ordinary = await SendInParallelAsync(app, 30, () => ChallengeRequest.Fresh() with { OrganisationId = organisation });
        var priority = await SendInParallelAsync(app, 10, () => ChallengeRequest.Fresh() with { OrganisationId = organisation,
            Priority = true });

        Assert.Equal(8, ordinary.Count(status => status == HttpStatusCode.Created));
        Assert.Equal(2, priority.Count(status => status == HttpStatusCode.Created));
        Assert.All(ordinary.Concat(priority), status =>
            Assert.Contains(status, new[] { HttpStatusCode.Created, HttpStatusCode.TooManyRequests }));
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var budget = app.Services.GetRequiredService<RedisKeys>().SmsBudget(organisation, new DateOnly(2026, 11, 28));
        Assert.Equal(10, (int)await connection.GetDatabase().StringGetAsync(budget));
    }

    [Fact]
    public async Task Parallel_sends_from_many_organisations_never_overspend_the_platform_ceiling()
    {
        using var app = new ChallengesApp(redis, rabbitMq,
            ("Challenges:Limits:PlatformDailySmsCeiling", "5"), ("Challenges:Limits:PlatformPriorityReserve", "2"));
        OnADayOfItsOwn(app);

        var ordinary = await SendInParallelAsync(app, 20, ChallengeRequest.Fresh);
        var priority = await SendInParallelAsync(app, 10, () => ChallengeRequest.Fresh() with { Priority = true });

        Assert.Equal(5, ordinary.Count(status => status == HttpStatusCode.Created));
        Assert.Equal(2, priority.Count(status => status == HttpStatusCode.Created));
    }

    /// <summary>The platform counter is shared by every test on this Redis: a day no other test uses
    /// (and no earlier run on a kept Redis) makes the ceiling this test's own.</summary>
    private static void OnADayOfItsOwn(ChallengesApp app) =>
        app.Time.SetUtcNow(new DateTimeOffset(2030, 1, 1, 9, 0, 0, TimeSpan.Zero).AddDays(RandomNumberGenerator.GetInt32(0, 30_000)));

    private static async Task<HttpStatusCode[]> SendInParallelAsync(ChallengesApp app, int count, Func<ChallengeRequest> next)
    {
        var requests = Enumerable.Range(0, count).Select(_ => next()).ToList();
        return await Task.WhenAll(requests.Select(async request =>
        {
            using var response = await app.CreateAsync(request);
            return response.StatusCode;
        }));
    }
}
