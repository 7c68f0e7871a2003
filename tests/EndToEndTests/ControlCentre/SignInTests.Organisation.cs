using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>The organisation's records: the audit log filtered by event, and both CSV exports as a spreadsheet would get them.</summary>
public sealed partial class SignInTests
{
    [Fact]
    public async Task An_admin_filters_the_audit_log_by_event_and_exports_it_and_the_readiness_as_csv()
    {
        await SignInWithCodeAsync(Admin, AdminPhone);
        await Expect(Heading("Welcome, Demo Admin")).ToBeVisibleAsync();
        var audit = _page.GetByRole(AriaRole.Region, new() { Name = "Audit log" });
        await Expect(audit.GetByRole(AriaRole.Status).Filter(new() { HasText = "events." })).ToHaveTextAsync(AuditCount());

        // The filter and the log name the event in the reader's language; the CSV keeps its code for machines.
        await audit.GetByLabel("Event", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Signed in" });
        await audit.GetByRole(AriaRole.Button, new() { Name = "Show", Exact = true }).ClickAsync();
        var events = audit.GetByRole(AriaRole.Table, new() { Name = "Audit log entries" }).Locator("td.event");
        // The unfiltered log may already start with this sign-in's "Signed in": wait until no other event is left, not only the first.
        await Expect(events.Filter(new() { HasNotTextRegex = new Regex("^Signed in$") })).ToHaveCountAsync(0);
        await Expect(events.First).ToHaveTextAsync("Signed in");
        Assert.All(await events.AllInnerTextsAsync(), text => Assert.Equal("Signed in", text));
        // This sign-in is the newest: by the admin, about the admin.
        var newest = audit.GetByRole(AriaRole.Table).Locator("tbody tr").First;
        await Expect(newest.GetByRole(AriaRole.Cell).Nth(1)).ToHaveTextAsync(Admin);
        await Accessibility.AssertNoSeriousViolationsAsync(_page, "organisation: readiness and the audit log filtered by event");
        await audit.ScreenshotAsync(new() { Path = Path.Combine(Screenshots.Directory, "21-audit-log.png") });

        var auditCsv = await DownloadAsync(audit.GetByRole(AriaRole.Button, new() { Name = "Export as CSV", Exact = true }));
        Assert.Equal("audit-log.csv", auditCsv.Name);
        var records = auditCsv.Text.TrimStart('\uFEFF').Split("\r\n");
        Assert.Equal("at,event,actor,subject,clientIp,details", records[0]);
        Assert.All(records[1..^1], record => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,sign_in_succeeded,", record));
        await Expect(audit.GetByRole(AriaRole.Status).Filter(new() { HasText = "downloaded" }))
            .ToHaveTextAsync("The audit log is downloaded with these filters (audit-log.csv).");

        var readiness = _page.GetByRole(AriaRole.Region, new() { Name = "MFA readiness" });
        var readinessCsv = await DownloadAsync(readiness.GetByRole(AriaRole.Button, new() { Name = "Export as CSV", Exact = true }));
        var rows = readinessCsv.Text.TrimStart('\uFEFF').Split("\r\n");
        Assert.Equal("email,name,role,status,phone", rows[0]);
        Assert.Contains($"{Admin},Demo Admin,Admin,ready,'+46 7 •••• ••78", rows);
        Assert.DoesNotContain("740678", readinessCsv.Text);
        Assert.Empty(_browserErrors);
    }

    private async Task<(string Name, string Text)> DownloadAsync(ILocator button)
    {
        var download = await _page.RunAndWaitForDownloadAsync(() => button.ClickAsync());
        return (download.SuggestedFilename, await File.ReadAllTextAsync(await download.PathAsync(), _timeout.Token));
    }

    [GeneratedRegex(@"^\d+ of \d+ events\.$")]
    private static partial Regex AuditCount();
}
