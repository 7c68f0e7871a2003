using System.Text.Json;

namespace FlexWhere.Reliability.Tests;

/// <summary>
/// The figures each scenario measured, one JSON file per scenario, for scripts/reliability-full.sh
/// to put into docs/reliability.md. Written only when FLEXWHERE_RELIABILITY_RESULTS names a folder.
/// </summary>
public static class RunFigures
{
    public const string Variable = "FLEXWHERE_RELIABILITY_RESULTS";

    public static void Write(string scenario, IReadOnlyDictionary<string, object> figures)
    {
        var folder = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(folder)) return;
        Directory.CreateDirectory(folder);
        var document = new Dictionary<string, object>(figures) { ["scenario"] = scenario, ["size"] = SuiteSize.Name };
        File.WriteAllText(Path.Combine(folder, $"{scenario}.json"),
            JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
    }
}
