using Xunit.Abstractions;

namespace FlexWhere.EndToEndTests;

/// <summary>The tests on the shared stack first, then the rest (the deployment checks need no stack): the shared stack
/// is the one the reliability suite waits for to take its turn to boot (<see cref="StackBootTurn"/>).</summary>
public sealed class SharedStackFirst : ITestCollectionOrderer
{
    public const string TypeName = "FlexWhere.EndToEndTests.SharedStackFirst";
    public const string AssemblyName = "EndToEndTests";

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(collection => collection.DisplayName == AppHostCollection.Name ? 0 : 1)
            .ThenBy(collection => collection.DisplayName, StringComparer.Ordinal);
}
