using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlexWhere.Testing;

namespace FlexWhere.Challenges.IntegrationTests;

[Collection(ServersCollection.Name)]
public class LimitTests(RedisServer redis, RabbitMqServer rabbitMq)
{
    [Fact]
    public async Task Resend_is_refused_during_the_cooldown_then_sends_a_new_code_that_replaces_the_old()
    {
        using var app = new ChallengesApp(redis, rabbitMq);
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var created = await app.CreateOkAsync(ChallengeRequest.Fresh());
        var first = await sms.WaitForChallengeAsync(created.ChallengeId);

        app.Time.Advance(TimeSpan.FromSeconds(10));
        using (var tooSoon = await app.ResendAsync(created.ChallengeId))
        {
            await tooSoon.AssertProblemAsync(HttpStatusCode.TooManyRequests, "resend_too_soon");
            Assert.Equal(20, tooSoon.RetryAfterSeconds());
        }

        app.Time.Advance(TimeSpan.FromSeconds(20));
        using var resent = await app.ResendAsync(created.ChallengeId);
        Assert.Equal(HttpStatusCode.OK, resent.StatusCode);
        var body = await resent.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(app.Time.GetUtcNow() + TimeSpan.FromSeconds(30), body.GetProperty("resendAfter").GetDateTimeOffset());
        Assert.Equal(app.Time.GetUtcNow() + TimeSpan.FromMinutes(5), body.GetProperty("expiresAt").GetDateTimeOffset());
        var second = await sms.WaitForAsync(s => s.ChallengeId == created.ChallengeId && s.MessageId != first.MessageId);

        if (first.Code != second.Code)
        {
            using var old = await app.VerifyAsync(created.ChallengeId, first.Code);
            await old.AssertProblemAsync(HttpStatusCode.BadRequest, "invalid_code");
        }

        using var verified = await app.VerifyAsync(created.ChallengeId, second.Code);
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
    }

    [Fact]
    public async Task A_number_gets_at_most_five_codes_in_ten_minutes()
    {
        using var app = new ChallengesApp(redis, rabbitMq, ("Challenges:Limits:PerDestination", "100"));
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var destination = ChallengeRequest.NewDutchMobile();

        for (var i = 0; i < 5; i++)
        {
            await app.CreateOkAsync(ChallengeRequest.Fresh() with { Destination = destination });
            app.Time.Advance(TimeSpan.FromMinutes(1));
        }

        using var sixth = await app.CreateAsync(ChallengeRequest.Fresh() with { Destination = destination });
        await sixth.AssertProblemAsync(HttpStatusCode.TooManyRequests, "send_limit_reached");
        // The first send leaves the window ten minutes after it was made: five minutes from now.
        Assert.Equal(300, sixth.RetryAfterSeconds());
        Assert.Equal(5, (await sms.SettledAsync(s => s.Destination == destination)).Count);

        app.Time.Advance(TimeSpan.FromMinutes(5));
        await app.CreateOkAsync(ChallengeRequest.Fresh() with { Destination = destination });
    }

    [Fact]
    public async Task Resend_counts_against_the_send_cap_of_the_number()
    {
        using var app = new ChallengesApp(redis, rabbitMq, ("Challenges:Limits:SendsPerDestination", "2"));
        var created = await app.CreateOkAsync(ChallengeRequest.Fresh());
        app.Time.Advance(TimeSpan.FromSeconds(30));
        using (var resent = await app.ResendAsync(created.ChallengeId)) Assert.Equal(HttpStatusCode.OK, resent.StatusCode);
        app.Time.Advance(TimeSpan.FromSeconds(30));

        using var third = await app.ResendAsync(created.ChallengeId);

        await third.AssertProblemAsync(HttpStatusCode.TooManyRequests, "send_limit_reached");
        Assert.True(third.RetryAfterSeconds() > 0);
    }

    public static TheoryData<string, string> RateLimits => new()
    {
        { "PerDestination", "destination" },
        { "PerUser", "user" },
        { "PerClientIp", "client_ip" },
        { "PerOrganisation", "organisation" },
        { "PerNumberPrefix", "number_prefix" },
    };

    [Theory]
    [MemberData(nameof(RateLimits))]
    public async Task Each_rate_limit_refuses_the_send_beyond_it_with_its_name_and_Retry_After(string option, string limit)
    {
        using var app = new ChallengesApp(redis, rabbitMq, ($"Challenges:Limits:{option}", "2"), ($"Challenges:Limits:{option}Window",
            "00:01:00"));
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var shared = ChallengeRequest.Fresh();
        // The prefix is a number minus its last three digits. Among the +3162 numbers every other test
        // draws there are only 10,000 such prefixes, and all tests' windows share one Redis and one fake
        // clock, so another test's sends under the same prefix would count here and could refuse one of
        // this test's allowed sends as number_prefix. +3163 numbers are drawn by this test alone, and its
        // numbers under the prefix are distinct (random last digits could repeat a number).
        var prefix = ChallengeRequest.NewDutchMobile(ChallengeRequest.PrefixTestRange)[..^3];
        var numbersUnderPrefix = 0;
        ChallengeRequest Next()
        {
            // Only the dimension under test is shared; everything else is fresh.
            var request = ChallengeRequest.Fresh();
            return limit switch
            {
                "destination" => request with { Destination = shared.Destination },
                "user" => request with { UserId = shared.UserId },
                "client_ip" => request with { ClientIp = shared.ClientIp },
                "organisation" => request with { OrganisationId = shared.OrganisationId },
                _ => request with { Destination = $"{prefix}{++numbersUnderPrefix:D3}" },
            };
        }

        await app.CreateOkAsync(Next());
        app.Time.Advance(TimeSpan.FromSeconds(20));
        await app.CreateOkAsync(Next());
        var refusedRequest = Next();
        using var third = await app.CreateAsync(refusedRequest);

        await third.AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal(limit, (await third.ReadProblemAsync()).GetProperty("limit").GetString());
        Assert.Equal(40, third.RetryAfterSeconds());
        Assert.Empty(await sms.SettledAsync(s => s.Destination == refusedRequest.Destination
            && refusedRequest.Destination != shared.Destination));

        app.Time.Advance(TimeSpan.FromSeconds(41));
        await app.CreateOkAsync(Next());
    }

    [Fact]
    public async Task The_daily_sms_budget_refuses_at_one_hundred_percent()
    {
        // Without a priority reserve, so that the whole budget is open to these sends.
        using var app = new ChallengesApp(redis, rabbitMq, ("Challenges:Limits:DailySmsBudget", "5"),
            ("Challenges:Limits:PriorityReserveRatio", "0"));
        var organisation = Guid.NewGuid();
        ChallengeRequest Next() => ChallengeRequest.Fresh() with { OrganisationId = organisation };

        for (var i = 0; i < 5; i++) await app.CreateOkAsync(Next());
        using var sixth = await app.CreateAsync(Next());

        await sixth.AssertProblemAsync(HttpStatusCode.TooManyRequests, "sms_budget_exhausted");
        // Budgets are per UTC day: the fake clock is at 09:00, so fifteen hours to wait.
        Assert.Equal(15 * 3600, sixth.RetryAfterSeconds());

        // Another organisation has its own budget.
        await app.CreateOkAsync(ChallengeRequest.Fresh());
        app.Time.Advance(TimeSpan.FromHours(15));
        await app.CreateOkAsync(Next());
    }
}
