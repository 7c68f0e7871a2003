using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using FlexWhere.Contracts;
using FlexWhere.Testing;

namespace FlexWhere.Challenges.IntegrationTests;

/// <summary>POST /internal/notices: a text without a code to a user's old number when a change of
/// their sign-in number is scheduled, sent through the same SendSms and Notifier as the codes.</summary>
[Collection(ServersCollection.Name)]
public sealed partial class NoticeTests(RedisServer redis, RabbitMqServer rabbitMq)
{
    [Theory]
    [InlineData("nl",
        "FlexWhere: er is gevraagd om het telefoonnummer waarmee je inlogt te wijzigen. Dit gaat in op 2026-12-05 10:30 UTC. Was jij " +
        "dit niet? Neem dan direct contact op met je beheerder.")]
    [InlineData("en",
        "FlexWhere: a change of the phone number you sign in with was requested. It takes effect on 2026-12-05 10:30 UTC. Not you? " +
        "Contact your administrator at once.")]
    public async Task A_scheduled_phone_change_sends_the_notice_text_in_the_users_language(string locale, string expected)
    {
        using var app = new ChallengesApp(redis, rabbitMq);
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var to = ChallengeRequest.NewDutchMobile();

        using var response = await app.Internal.PostAsJsonAsync("/internal/notices", Notice(to, locale: locale));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var noticeId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("noticeId").GetString()!;
        var sent = await sms.WaitForAsync(message => message.ChallengeId == noticeId);
        Assert.Equal(to, sent.Destination);
        Assert.DoesNotContain(to, sent.MaskedDestination);
        Assert.Null(sent.AutofillDomain);
        var body = SmsTemplates.Render(sent.TemplateId, sent.Locale, sent.Code, SmsTemplates.MinutesLeft(sent.ExpiresAt,
            app.Time.GetUtcNow()), sent.AutofillDomain);
        Assert.Equal(expected, body);
        Assert.DoesNotMatch(SixDigits(), body);
        Assert.DoesNotContain(to[3..], body);
    }

    [Theory]
    [InlineData("nl", "FlexWhere: het telefoonnummer waarmee je inlogt is op {0} gewijzigd; codes komen niet meer naar dit nummer. " +
        "Was jij dit niet? Neem dan direct contact op met je beheerder.")]
    [InlineData("en", "FlexWhere: the phone number you sign in with was changed on {0}; codes no longer come to this number. Not you? " +
        "Contact your administrator at once.")]
    public async Task A_changed_number_is_told_to_the_old_number_after_the_fact_once_per_notice_id(string locale, string expected)
    {
        using var app = new ChallengesApp(redis, rabbitMq);
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var to = ChallengeRequest.NewDutchMobile();
        var changedAt = app.Time.GetUtcNow().AddMinutes(-3);
        var noticeId = Guid.NewGuid();
        var notice = Notice(to, kind: "phone_changed", locale: locale) with { EffectiveAt = changedAt, NoticeId = noticeId };

        // The caller's outbox may hand the same notice on twice: both publish one message id, and the Notifier sends one SMS.
        using var first = await app.Internal.PostAsJsonAsync("/internal/notices", notice);
        using var again = await app.Internal.PostAsJsonAsync("/internal/notices", notice);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        await sms.WaitForAsync(message => message.Destination == to);
        var sent = await sms.SettledAsync(message => message.Destination == to);
        Assert.All(sent, message => Assert.Equal(noticeId, message.MessageId));
        var body = SmsTemplates.Render(sent[0].TemplateId, sent[0].Locale, sent[0].Code,
            SmsTemplates.MinutesLeft(sent[0].ExpiresAt, app.Time.GetUtcNow()));
        Assert.Equal(string.Format(expected, SmsTemplates.NoticeDate(changedAt)), body);
        Assert.Equal(changedAt.AddDays(1), sent[0].ExpiresAt);
        Assert.DoesNotMatch(SixDigits(), body);
    }

    [Theory]
    [InlineData(10)] // in the future: not a change that happened
    [InlineData(-60 * 25)] // more than a day ago: too late to matter
    public async Task A_notice_after_the_fact_needs_a_time_within_the_last_day(int minutesFromNow)
    {
        using var app = new ChallengesApp(redis, rabbitMq);
        var notice = Notice(ChallengeRequest.NewDutchMobile(), kind: "phone_changed")
            with { EffectiveAt = app.Time.GetUtcNow().AddMinutes(minutesFromNow) };

        using var response = await app.Internal.PostAsJsonAsync("/internal/notices", notice);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True((await response.ReadProblemAsync()).GetProperty("errors").TryGetProperty("effectiveAt", out _));
    }

    [Fact]
    public async Task An_unknown_kind_is_refused_and_nothing_is_sent()
    {
        using var app = new ChallengesApp(redis, rabbitMq);
        await using var sms = await SmsCapture.StartAsync(rabbitMq.ConnectionString);
        var to = ChallengeRequest.NewDutchMobile();

        using var response = await app.Internal.PostAsJsonAsync("/internal/notices", Notice(to, kind: "password_changed"));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "unknown_notice_kind");
        Assert.Contains("phone_change_scheduled", (await response.ReadProblemAsync()).GetProperty("detail").GetString());
        Assert.Empty(await sms.SettledAsync(message => message.Destination == to));
    }

    [Theory]
    [InlineData("to", "0612345678")]
    [InlineData("locale", "de")]
    [InlineData("effectiveAt", "past")]
    public async Task A_bad_field_is_refused_with_the_field_named(string field, string value)
    {
        using var app = new ChallengesApp(redis, rabbitMq);
        var notice = field switch
        {
            "to" => Notice(value),
            "locale" => Notice(ChallengeRequest.NewDutchMobile(), locale: value),
            _ => Notice(ChallengeRequest.NewDutchMobile()) with { EffectiveAt = app.Time.GetUtcNow().AddMinutes(-1) },
        };

        using var response = await app.Internal.PostAsJsonAsync("/internal/notices", notice);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True((await response.ReadProblemAsync()).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Notices_need_the_service_key()
    {
        using var app = new ChallengesApp(redis, rabbitMq);

        using var response = await app.Public.PostAsJsonAsync("/internal/notices", Notice(ChallengeRequest.NewDutchMobile()));

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized_service");
    }

    [Fact]
    public async Task A_notice_is_a_priority_send_that_may_use_the_organisations_reserve()
    {
        using var app = new ChallengesApp(redis, rabbitMq, ("Challenges:Limits:DailySmsBudget", "2"),
            ("Challenges:Limits:PriorityReserveRatio", "0.5"));
        var organisation = Guid.NewGuid();
        await app.CreateOkAsync(ChallengeRequest.Fresh() with { OrganisationId = organisation });
        using (var ordinary = await app.CreateAsync(ChallengeRequest.Fresh() with { OrganisationId = organisation }))
        {
            await ordinary.AssertProblemAsync(HttpStatusCode.TooManyRequests, "sms_budget_exhausted");
        }

        using var notice = await app.Internal.PostAsJsonAsync("/internal/notices", Notice(ChallengeRequest.NewDutchMobile())
            with { OrganisationId = organisation });
        Assert.Equal(HttpStatusCode.Accepted, notice.StatusCode);
        using var beyond = await app.Internal.PostAsJsonAsync("/internal/notices", Notice(ChallengeRequest.NewDutchMobile())
            with { OrganisationId = organisation });
        await beyond.AssertProblemAsync(HttpStatusCode.TooManyRequests, "sms_budget_exhausted");
    }

    private static NoticeBody Notice(string to, string kind = "phone_change_scheduled", string locale = "en") =>
        new(Guid.NewGuid(), Guid.NewGuid(), to, kind, new DateTimeOffset(2026, 12, 5, 11, 30, 0, TimeSpan.FromHours(1)), locale);

    private sealed record NoticeBody(Guid OrganisationId, Guid UserId, string To, string Kind, DateTimeOffset EffectiveAt, string Locale,
        Guid? NoticeId = null);

    [GeneratedRegex("[0-9]{6}")]
    private static partial Regex SixDigits();
}
