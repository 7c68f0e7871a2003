namespace FlexWhere.LocalServers;

/// <summary>How to start one server process: the AppHost turns it into an Aspire executable
/// resource, the test fixture starts it directly.</summary>
public sealed record ProcessSpec(
    string Command,
    IReadOnlyList<string> Args,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory);
