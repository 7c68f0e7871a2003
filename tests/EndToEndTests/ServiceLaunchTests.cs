using Aspire.Hosting;
using Aspire.Hosting.Testing;
using System.Text.RegularExpressions;

namespace FlexWhere.EndToEndTests;

/// <summary>The AppHost starts each service from its build (<c>dotnet bin/…/X.dll</c> in the project's folder), not
/// through <c>dotnet run</c>, which evaluates the project with MSBuild before every process it starts.</summary>
[Collection(AppHostCollection.Name)]
public class ServiceLaunchTests(AppHostFixture stack)
{
    [Fact]
    public async Task Every_service_runs_from_its_built_assembly_without_dotnet_run_in_front()
    {
        if (!OperatingSystem.IsLinux()) Assert.Fail("The process tree is read from /proc.");
        using var health = await stack.Gateway.GetAsync("/health/downstream");
        health.EnsureSuccessStatusCode();

        // The process id of each running service replica, as Aspire reports it.
        var projects = new[] { "Accounts", "Challenges", "Notifier", "Gateway" };
        var pids = new Dictionary<string, (string Project, int Pid)>();
        using (var enough = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            try
            {
                await foreach (var update in stack.App.ResourceNotifications.WatchAsync(enough.Token))
                {
                    var project = projects.FirstOrDefault(name => name.Equals(update.Resource.Name, StringComparison.OrdinalIgnoreCase));
                    var pid = update.Snapshot.Properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value;
                    if (project is not null && pid is not null) pids[update.ResourceId] = (project, Convert.ToInt32(pid));
                    if (projects.All(name => pids.Values.Any(entry => entry.Project == name))) break;
                }
            }
            catch (OperationCanceledException)
            {
                // Checked below.
            }
        }

        foreach (var project in projects)
        {
            var replicas = pids.Values.Where(entry => entry.Project == project).ToList();
            Assert.True(replicas.Count >= 1, $"Aspire reported no running process for {project}.");
            var built = new Regex($"/services/{project}/bin/[^/]+/net[^/]+/{project}\\.dll$");
            foreach (var (_, pid) in replicas)
            {
                var process = Read(pid);
                Assert.True(process.Arguments is [var host, var assembly] && Path.GetFileName(host) == "dotnet" && built.IsMatch(assembly),
                    $"{project} runs as `{string.Join(' ', process.Arguments)}`, not from its built assembly.");
                Assert.EndsWith($"/services/{project}", process.WorkingDirectory, StringComparison.Ordinal);
                // Without the AppHost's launch, Aspire's process is `dotnet run --project …`, the service a child of it.
                Assert.False(Read(process.ParentId).Arguments is [_, "run", ..], $"{project}'s parent is `dotnet run`.");
            }
        }
    }

    private sealed record LinuxProcess(int ParentId, string[] Arguments, string WorkingDirectory);

    private static LinuxProcess Read(int pid)
    {
        // stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses, so read after the last ')'.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        return new LinuxProcess(parent, arguments, new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget ?? "");
    }
}

/// <summary>Where the AppHost leaves Aspire's own launch in place: under <c>dotnet watch</c>, which rebuilds and restarts
/// the projects itself, and in publish mode, where nothing runs locally.</summary>
public class ServiceLaunchModelTests
{
    [Fact]
    public async Task Under_dotnet_watch_and_in_publish_mode_the_projects_keep_aspires_launch()
    {
        // A run-mode model makes its local servers' data folder at once; no server starts here, so nothing would delete it.
        var before = Folders();
        try
        {
            using (var watched = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--DOTNET_WATCH=1"]))
            {
                Assert.Equal(5, watched.Resources.OfType<ProjectResource>().Count());
                Assert.All(watched.Resources.OfType<ProjectResource>(), project =>
                    Assert.False(project.TryGetLastAnnotation<ExecutableAnnotation>(out _),
                        $"{project.Name} does not run under dotnet watch."));
            }

            using (var published = await Deployment.PublishModel.BuildAsync())
            {
                Assert.All(published.Builder.Resources.OfType<ProjectResource>(), project =>
                    Assert.False(project.TryGetLastAnnotation<ExecutableAnnotation>(out _),
                        $"{project.Name} names a local command when published."));
            }

            // The control: a plain run gives every project its built assembly, in the project's folder.
            using var run = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>([]);
            Assert.Equal(5, run.Resources.OfType<ProjectResource>().Count());
            Assert.All(run.Resources.OfType<ProjectResource>(), project =>
            {
                Assert.True(project.TryGetLastAnnotation<ExecutableAnnotation>(out var launch), $"{project.Name} runs through dotnet run.");
                Assert.Equal("dotnet", launch.Command);
                Assert.Equal(Path.GetDirectoryName(project.GetProjectMetadata().ProjectPath), launch.WorkingDirectory);
            });
        }
        finally
        {
            foreach (var folder in Folders().Except(before)) Directory.Delete(folder, recursive: true);
        }
    }

    private static HashSet<string> Folders() =>
        Directory.Exists(FlexWhere.LocalServers.DataFolder.Root)
            ? [.. Directory.GetDirectories(FlexWhere.LocalServers.DataFolder.Root, $"apphost-{Environment.ProcessId}-*")]
            : [];
}
