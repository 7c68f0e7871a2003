using FlexWhere.LocalServers;
using Xunit;

namespace FlexWhere.Testing;

/// <summary>
/// One real server for a test collection: from an environment variable when set (./test.sh starts one
/// of each for the whole run and names them so), else a container when an engine answers, else a
/// private server from Debian's packages; never a silent skip. On a shared server each fixture gets a
/// part of its own (<see cref="ShareAsync"/>), so assemblies running at the same time do not meet.
/// </summary>
public abstract class RealServer : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<Func<Task>> _beforeRelease = [];
    private DataFolder? _folder;

    protected abstract string EnvironmentVariable { get; }
    protected abstract string DebianPackage { get; }
    protected abstract string Name { get; }

    public ServerSource Source { get; private set; }

    public string ConnectionString { get; private set; } = "";

    /// <summary>False for a fixture that stops and starts its server: it never takes the shared one.</summary>
    protected virtual bool MayShare => true;

    /// <summary>False for a fixture that only local processes can provide (several servers that kill each other's peers).</summary>
    protected virtual bool MayUseContainer => true;

    public async Task InitializeAsync()
    {
        (Source, var fromEnvironment) = ServerSources.Choose(MayShare ? EnvironmentVariable : null, DebianPackage, MayUseContainer);
        await StartAsync(fromEnvironment);
    }

    /// <summary>Starts a server of its own (a container or a local one), whatever the environment names.</summary>
    public async Task StartOwnAsync()
    {
        (Source, _) = ServerSources.Choose(null, DebianPackage, MayUseContainer);
        await StartAsync(null);
    }

    private async Task StartAsync(string? fromEnvironment)
    {
        ConnectionString = Source switch
        {
            ServerSource.Environment => await ShareAsync(fromEnvironment!, _owned),
            ServerSource.Container => await StartContainerAsync(_owned),
            ServerSource.Local => await StartLocalAsync(_folder = DataFolder.Create($"tests-{Name}"), _owned),
            _ => throw new InvalidOperationException($"Unknown source {Source}."),
        };
    }

    /// <summary>
    /// Runs <paramref name="stop"/> first when this fixture is disposed, before its part of the server (a virtual host, a
    /// database number) is given back to the run: for a client that outlives a test class, such as the Accounts host the
    /// classes of a collection share. xUnit disposes a collection's fixtures side by side, so their order does not do it.
    /// </summary>
    public void BeforeRelease(Func<Task> stop)
    {
        lock (_beforeRelease) _beforeRelease.Add(stop);
    }

    public async Task DisposeAsync()
    {
        Func<Task>[] first;
        lock (_beforeRelease) first = [.. _beforeRelease];
        try
        {
            foreach (var stop in first) await stop();
        }
        finally
        {
            // Given back even when a stop before it failed (its failure still fails the run), so the part is not kept
            // taken until the test host exits. In reverse order of start (RabbitMQ before its port mapper).
            for (var i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
            _folder?.Delete();
        }
    }

    /// <summary>The connection string to this fixture's own part of a shared server (a database number, a
    /// virtual host); adds what must be disposed. The whole server by default.</summary>
    protected virtual Task<string> ShareAsync(string shared, List<IAsyncDisposable> owned) => Task.FromResult(shared);

    /// <summary>Starts a container and returns its connection string; adds what must be disposed.</summary>
    protected abstract Task<string> StartContainerAsync(List<IAsyncDisposable> owned);

    /// <summary>Starts local processes with their data in <paramref name="folder"/> and returns the connection string.</summary>
    protected abstract Task<string> StartLocalAsync(DataFolder folder, List<IAsyncDisposable> owned);

    protected static LocalServerProcess StartProcess(ProcessSpec spec, DataFolder folder, string logName, List<IAsyncDisposable> owned)
    {
        var process = LocalServerProcess.Start(spec, Path.Combine(folder.Path, $"{logName}.log"));
        owned.Add(process);
        return process;
    }

    /// <summary>Generous: on two cores busy with builds and other tests a broker takes minutes to boot.</summary>
    protected static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
}
