using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace FlexWhere.ControlCentre.BrowserTests;

/// <summary>axe-core over the page as it is on screen (an open dialog included): no serious or critical violation.
/// Every screen's counts by impact are kept next to the screenshots, in axe.txt (this run's only).</summary>
public static class Accessibility
{
    private static readonly string[] Blocking = ["serious", "critical"];

    // One list a test run: the run's first screen starts it afresh.
    private static readonly Lazy<string> Results = new(() =>
    {
        System.IO.Directory.CreateDirectory(Screenshots.Directory);
        var path = Path.Combine(Screenshots.Directory, "axe.txt");
        File.Delete(path);
        return path;
    });

    public static async Task AssertNoSeriousViolationsAsync(IPage page, string screen)
    {
        // Every rule still runs; the result carries the elements of the violations only (of each rule that passed, one), not
        // of every element each rule passed on: the report and the assertion read no more.
        var result = await page.RunAxe(new AxeRunOptions { ResultTypes = [ResultType.Violations] });
        var counts = result.Violations.GroupBy(violation => violation.Impact ?? "unknown")
            .Select(group => $"{group.Key} {group.Count()}").DefaultIfEmpty("no violations");
        await File.AppendAllTextAsync(Results.Value,
            $"{screen}: {result.Passes.Length} rules passed; {string.Join(", ", counts)}; " +
                $"{string.Join(", ", result.Violations.Select(violation => $"{violation.Id} ({violation.Impact})"))}\n");

        var blocking = result.Violations.Where(violation => Blocking.Contains(violation.Impact)).ToList();
        Assert.True(blocking.Count == 0, $"axe on {screen}: " + string.Join("; ", blocking.Select(violation =>
            $"{violation.Id} ({violation.Impact}): {violation.Help} at {string.Join(" | ", violation.Nodes.Select(node => node.Html))}")));
    }
}
