using System.Net;
using System.Net.Http.Json;
using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Users;
using FlexWhere.Testing;
using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.IntegrationTests;

/// <summary>The routes behind the Control Centre's screens (approvals, my security, the organisation's exports), and what an
/// outsider gets from them: another organisation's ids are not found, a manager is refused the admins' routes.</summary>
[Collection(MfaCollection.Name)]
public class ControlCentreScreenTests(PostgresServer postgres, AccountsClassHost host, RedisServer redis, RabbitMqServer rabbitMq)
    : MfaTestBase(postgres, host, redis, rabbitMq)
{
    [Fact]
    public async Task Pending_changes_name_who_asked_and_stay_within_the_organisation_and_its_admins()
    {
        var organisation = await CreateOrganisationAsync();
        var requester = await CreateMfaUserAsync(organisation);
        var target = await CreateMfaUserAsync(organisation);
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var outsider = await CreateMfaUserAsync(await CreateOrganisationAsync("Elsewhere"));
        using var asRequester = ClientFor(requester);
        var pending = await JsonAsync(await asRequester.PutAsJsonAsync($"/api/users/{target.Id}/phone", new { phone = NewMobile() }),
            HttpStatusCode.Accepted);
        var changeId = pending.GetProperty("id").GetGuid();

        var listed = Assert.Single((await JsonAsync(await asRequester.GetAsync("/api/phone-changes"))).EnumerateArray());
        Assert.Equal(requester.Email, listed.GetProperty("requestedByEmail").GetString());
        Assert.Equal(target.Email, listed.GetProperty("targetEmail").GetString());
        Assert.Contains("•", listed.GetProperty("phoneHint").GetString());

        using var asOutsider = ClientFor(outsider);
        Assert.Empty((await JsonAsync(await asOutsider.GetAsync("/api/phone-changes"))).EnumerateArray());
        await ProblemAsync(await asOutsider.PostAsync($"/api/phone-changes/{changeId}/approve", null), HttpStatusCode.NotFound, "not_found");
        await ProblemAsync(await asOutsider.PostAsync($"/api/phone-changes/{changeId}/reject", null), HttpStatusCode.NotFound, "not_found");

        using var asManager = ClientFor(manager);
        await ProblemAsync(await asManager.GetAsync("/api/phone-changes"), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAsync(await asManager.PostAsync($"/api/phone-changes/{changeId}/reject", null), HttpStatusCode.Forbidden, "forbidden");

        await ProblemAsync(await asRequester.PostAsync("/api/phone-changes/not-a-change/reject", null), HttpStatusCode.NotFound, "not_found");
        Assert.Equal("pending", (await JsonAsync(await asRequester.GetAsync("/api/phone-changes")))[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_user_sees_their_live_sessions_ends_one_or_every_other_and_never_touches_another_users()
    {
        var organisation = await CreateOrganisationAsync();
        var user = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var stranger = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var remembered = await SignInWithSmsAsync(user, rememberDevice: true);
        using var onDevice = BearerClient(await JsonAsync(await ControlCentreLoginAsync(user,
            remembered.GetProperty("deviceToken").GetString())));
        using var other = ClientFor(user);
        using var current = ClientFor(user);
        using var asStranger = ClientFor(stranger);
        var strangers = (await JsonAsync(await asStranger.GetAsync("/api/me/sessions"))).EnumerateArray()
            .Single(s => s.GetProperty("current").GetBoolean()).GetProperty("id").GetGuid();

        var listed = (await JsonAsync(await current.GetAsync("/api/me/sessions"))).EnumerateArray().ToList();
        Assert.Equal(4, listed.Count);
        Assert.Single(listed, s => s.GetProperty("current").GetBoolean());
        Assert.Contains(listed, s => s.GetProperty("deviceName").GetString() is { Length: > 0 });
        Assert.All(listed, s => Assert.Equal("control-centre", s.GetProperty("client").GetString()));

        // Another user's session is not found, and goes on working.
        await ProblemAsync(await current.DeleteAsync($"/api/me/sessions/{strangers}"), HttpStatusCode.NotFound, "not_found");
        await JsonAsync(await asStranger.GetAsync("/api/me"));

        var one = listed.First(s => !s.GetProperty("current").GetBoolean()).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.NoContent, (await current.DeleteAsync($"/api/me/sessions/{one}")).StatusCode);
        await ProblemAsync(await current.DeleteAsync($"/api/me/sessions/{one}"), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(2, (await JsonAsync(await current.DeleteAsync("/api/me/sessions"))).GetProperty("ended").GetInt32());
        await ProblemAsync(await other.GetAsync("/api/me"), HttpStatusCode.Unauthorized, "session_revoked");
        await ProblemAsync(await onDevice.GetAsync("/api/me"), HttpStatusCode.Unauthorized, "session_revoked");
        Assert.Single((await JsonAsync(await current.GetAsync("/api/me/sessions"))).EnumerateArray());
        await ProblemAsync(await current.DeleteAsync("/api/me/sessions/not-a-session"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Revoking_every_trusted_device_ends_the_sessions_they_opened_and_asks_for_a_code_again()
    {
        var organisation = await CreateOrganisationAsync();
        var user = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var remembered = await SignInWithSmsAsync(user, rememberDevice: true);
        var deviceToken = remembered.GetProperty("deviceToken").GetString();
        using var whenRemembered = BearerClient(remembered);
        using var onDevice = BearerClient(await JsonAsync(await ControlCentreLoginAsync(user, deviceToken)));
        using var current = ClientFor(user);

        // The sign-in that remembered the browser, and the one the browser's trust opened.
        Assert.Equal(2, (await JsonAsync(await current.DeleteAsync("/api/me/devices"))).GetProperty("ended").GetInt32());

        await ProblemAsync(await whenRemembered.GetAsync("/api/me"), HttpStatusCode.Unauthorized, "session_revoked");
        await ProblemAsync(await onDevice.GetAsync("/api/me"), HttpStatusCode.Unauthorized, "session_revoked");
        await JsonAsync(await current.GetAsync("/api/me"));
        Assert.Empty((await JsonAsync(await current.GetAsync("/api/me/devices"))).EnumerateArray());
        var again = await JsonAsync(await ControlCentreLoginAsync(user, deviceToken));
        Assert.Equal("mfa_required", again.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_readiness_lists_unverified_numbers_and_its_csv_masks_numbers_and_defuses_formulas()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var unverified = await CreateMfaUserAsync(organisation, UserRole.Manager, phoneVerified: false);
        var formula = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var quoted = await CreateUserAsync(organisation, UserRole.Manager, phone: null);
        var employee = await CreateMfaUserAsync(organisation, UserRole.Employee);
        await using (var db = NewDbContext())
        {
            // Names an import of long ago could hold: the API refuses control characters now, the export must still be safe.
            (await db.Users.SingleAsync(u => u.Id == formula.Id)).DisplayName = "=HYPERLINK(\"http://evil.example\",\"x\")";
            (await db.Users.SingleAsync(u => u.Id == quoted.Id)).DisplayName = "\tvan \"Piet\", Jan";
            await db.SaveChangesAsync();
        }

        using var asAdmin = ClientFor(admin);
        var report = await JsonAsync(await asAdmin.GetAsync("/api/organisation/mfa-readiness"));
        var listed = Assert.Single(report.GetProperty("unverifiedNumbers").EnumerateArray());
        Assert.Equal(unverified.Id, listed.GetProperty("id").GetGuid());
        Assert.Equal(Phones.Mask(unverified.PhoneNumber!), listed.GetProperty("phoneHint").GetString());

        var response = await asAdmin.GetAsync("/api/organisation/mfa-readiness.csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("mfa-readiness.csv", response.Content.Headers.ContentDisposition?.FileNameStar
            ?? response.Content.Headers.ContentDisposition?.FileName);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var csv = System.Text.Encoding.UTF8.GetString(bytes[3..]);
        var lines = csv.Split("\r\n");
        Assert.Equal("email,name,role,status,phone", lines[0]);
        Assert.Equal("", lines[^1]);
        Assert.Equal(6, lines.Length); // the header, the admin, three managers, and the empty end after the last CRLF
        Assert.Contains($"{unverified.Email},{unverified.DisplayName},Manager,phone_unverified,'{Phones.Mask(unverified.PhoneNumber!)}",
            lines);
        Assert.Contains($"{formula.Email},\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",Manager,ready,'{Phones.Mask(formula.PhoneNumber!)}",
            lines);
        Assert.Contains($"{quoted.Email},\"'\tvan \"\"Piet\"\", Jan\",Manager,phone_number_missing,", lines);
        foreach (var user in new[] { admin, unverified, formula }) Assert.DoesNotContain(user.PhoneNumber![3..], csv);
        Assert.DoesNotContain(employee.Email, csv);

        using var asEmployee = ClientFor(employee);
        await ProblemAsync(await asEmployee.GetAsync("/api/organisation/mfa-readiness.csv"), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task The_audit_log_filters_by_event_user_and_date_and_its_csv_is_rfc_4180_masked_and_formula_safe()
    {
        var organisation = await CreateOrganisationAsync();
        var admin = await CreateMfaUserAsync(organisation);
        var manager = await CreateMfaUserAsync(organisation, UserRole.Manager);
        var elsewhere = await CreateOrganisationAsync("Elsewhere");
        var now = Time.GetUtcNow();
        await using (var db = NewDbContext())
        {
            db.AuditEntries.AddRange(
                Entry(organisation.Id, now.AddDays(-3), AuditEvents.PhoneChanged, admin.Id, manager.Id, "none → +31612345678 (by hand)"),
                Entry(organisation.Id, now.AddDays(-1), AuditEvents.UserUpdated, admin.Id, manager.Id, "=1+1, \"quoted\"\nnext line"),
                Entry(organisation.Id, now.AddMinutes(-5), AuditEvents.SignInSucceeded, manager.Id, manager.Id, "-sms"),
                Entry(elsewhere.Id, now.AddMinutes(-5), AuditEvents.SignInSucceeded, null, null, "another organisation"));
            await db.SaveChangesAsync();
        }

        using var asAdmin = ClientFor(admin);
        var signIns = await JsonAsync(await asAdmin.GetAsync($"/api/audit?event={AuditEvents.SignInSucceeded}"));
        var entry = Assert.Single(signIns.GetProperty("items").EnumerateArray());
        Assert.Equal(manager.Email, entry.GetProperty("actorEmail").GetString());
        var fromTo = $"from={Uri.EscapeDataString(now.AddDays(-2).ToString("O"))}&to={Uri.EscapeDataString(now.AddHours(-1).ToString("O"))}";
        Assert.Equal(AuditEvents.UserUpdated, Assert.Single((await JsonAsync(await asAdmin.GetAsync($"/api/audit?{fromTo}")))
            .GetProperty("items").EnumerateArray()).GetProperty("event").GetString());
        Assert.Equal(3, (await JsonAsync(await asAdmin.GetAsync($"/api/audit?userId={manager.Id}"))).GetProperty("total").GetInt32());
        Assert.Contains(AuditEvents.PhoneChangeApproved, (await JsonAsync(await asAdmin.GetAsync("/api/audit/events"))).EnumerateArray()
            .Select(e => e.GetString()));

        var csv = await asAdmin.GetStringAsync($"/api/audit/export.csv?userId={manager.Id}");
        var lines = csv.TrimStart('\uFEFF').Split("\r\n");
        Assert.Equal("at,event,actor,subject,clientIp,details", lines[0]);
        Assert.Equal($"{now.AddMinutes(-5).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'},sign_in_succeeded,{manager.Email},{manager.Email},,'-sms",
            lines[1]);
        // A line break inside a quoted field, quotes doubled, the formula defused.
        Assert.Equal($"{now.AddDays(-1).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'},user_updated,{admin.Email},{manager.Email},," +
            "\"'=1+1, \"\"quoted\"\"\nnext line\"", lines[2]);
        Assert.EndsWith(",none → +31 6 •••• ••78 (by hand)", lines[3]);
        Assert.Equal(5, lines.Length);
        Assert.DoesNotContain("612345678", csv);
        Assert.DoesNotContain("another organisation", csv);
        Assert.Equal(2, (await asAdmin.GetStringAsync($"/api/audit/export.csv?event=user_updated&{fromTo}")).Split("\r\n").Length - 1);

        // Refusals: a filter the log cannot hold, a manager, control characters and a huge value.
        await ProblemAsync(await asAdmin.GetAsync("/api/audit?event=no_such_event"), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAsync(await asAdmin.GetAsync("/api/audit/export.csv?event=no_such_event"), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAsync(await asAdmin.GetAsync($"/api/audit?from={Uri.EscapeDataString(now.ToString("O"))}&to=" +
            Uri.EscapeDataString(now.AddDays(-1).ToString("O"))), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAsync(await asAdmin.GetAsync("/api/audit/export.csv?event=sign_in%0Dsucceeded"), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAsync(await asAdmin.GetAsync($"/api/audit/export.csv?event={new string('a', 4000)}"), HttpStatusCode.BadRequest,
            "validation_failed");
        Assert.Empty((await JsonAsync(await asAdmin.GetAsync($"/api/audit?userId={Guid.NewGuid()}"))).GetProperty("items").EnumerateArray());
        using var asManager = ClientFor(manager);
        foreach (var path in new[] { "/api/audit", "/api/audit/export.csv", "/api/audit/events" })
        {
            await ProblemAsync(await asManager.GetAsync(path), HttpStatusCode.Forbidden, "forbidden");
        }
    }

    private static AuditEntry Entry(Guid organisationId, DateTimeOffset at, string @event, Guid? actor, Guid? subject, string details) =>
        new() { OrganisationId = organisationId, At = at, Event = @event, ActorUserId = actor, SubjectUserId = subject, Details = details };
}
