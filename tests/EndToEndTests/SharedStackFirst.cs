using Xunit.Abstractions;

namespace FlexWhere.EndToEndTests;

/// <summary>The shared stack's collection first, so it starts at once and its boot takes the turn (<see cref="StackBootTurn"/>)
/// that the reliability suite waits for; the other collections (the deployment checks, <see cref="ShutdownTests"/>) run
/// beside it, one at a time.</summary>
public sealed class SharedStackFirst : ITestCollectionOrderer
{
    public const string TypeName = "FlexWhere.EndToEndTests.SharedStackFirst";
    public const string AssemblyName = "EndToEndTests";

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(collection => collection.DisplayName == AppHostCollection.Name ? 0 : 1)
            .ThenBy(collection => collection.DisplayName, StringComparer.Ordinal);
}
