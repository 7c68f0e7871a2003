using Xunit.Abstractions;
using Xunit.Sdk;

namespace FlexWhere.Reliability.Tests;

/// <summary>Runs a class's tests in the order of their names (R3_…, R5_…, R6_…): the secrets scan
/// must come after the runs whose traces it scans.</summary>
public sealed class ByNameOrderer : ITestCaseOrderer
{
    public const string TypeName = "FlexWhere.Reliability.Tests.ByNameOrderer";
    public const string AssemblyName = "Reliability.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(testCase => testCase.TestMethod.Method.Name, StringComparer.Ordinal);
}
