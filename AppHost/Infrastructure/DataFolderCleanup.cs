using FlexWhere.LocalServers;
using Microsoft.Extensions.Hosting;

namespace FlexWhere.AppHost.Infrastructure;

/// <summary>
/// Deletes the local servers' data folder once the AppHost has stopped and the orchestrator has
/// ended the servers (a server still shutting down could write into it again). Also on process
/// exit, for a stop during start-up; whatever a killed AppHost leaves, the next start sweeps.
/// </summary>
internal sealed class DataFolderCleanup(DataFolder folder, IHostApplicationLifetime lifetime) : IHostedService
{
    private static readonly TimeSpan ServersGoneTimeout = TimeSpan.FromSeconds(20);
    private int _done;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopped.Register(Cleanup);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Cleanup();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Cleanup()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1) return;
        ServerProcesses.WaitUntilNoneUse(folder.Path, ServersGoneTimeout);
        folder.Delete();
    }
}
