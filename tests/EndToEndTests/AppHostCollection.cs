using FlexWhere.ControlCentre.BrowserTests;

namespace FlexWhere.EndToEndTests;

/// <summary>One AppHost boot for every end-to-end and browser test of the run, and one Chromium.</summary>
[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>, ICollectionFixture<ChromiumFixture>
{
    public const string Name = "apphost";
}
