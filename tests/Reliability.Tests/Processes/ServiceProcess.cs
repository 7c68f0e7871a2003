using System.Diagnostics;
using System.Net;
using FlexWhere.LocalServers;

namespace FlexWhere.Reliability.Tests.Processes;

/// <summary>
/// A service as its own process (the built <c>services/X/bin/…/X.dll</c>), so a test can kill it with
/// SIGKILL mid-work, as a crash or an OOM kill would, and start it again. Its console output, across
/// restarts, goes to one log file that the secrets scan reads afterwards.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly string _assembly;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly StreamWriter _log;
    private Process? _process;

    public ServiceProcess(string project, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        _assembly = BuiltAssembly(project);
        Port = Ports.FreeLoopbackPort();
        _environment = new Dictionary<string, string>(environment)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            // No console colours or scopes: one plain line per entry for the log scan.
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled",
        };
        LogPath = logPath;
        _log = new StreamWriter(logPath, append: true) { AutoFlush = true };
    }

    public int Port { get; }

    public string LogPath { get; }

    public int Starts { get; private set; }

    public int Kills { get; private set; }

    public async Task StartAsync(TimeSpan timeout)
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException("The service is running.");
        var startInfo = new ProcessStartInfo("dotnet", [_assembly])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(_assembly)!,
        };
        foreach (var (key, value) in _environment) startInfo.Environment[key] = value;
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, line) => Write(line.Data);
        process.ErrorDataReceived += (_, line) => Write(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Starts++;
        await WaitUntilHealthyAsync(timeout);
    }

    /// <summary>SIGKILL: no graceful shutdown, no acknowledgements, no last Redis write.</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } process) throw new InvalidOperationException("The service is not running.");
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        Kills++;
    }

    private async Task WaitUntilHealthyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited) throw new InvalidOperationException($"{Path.GetFileName(_assembly)} exited with code " +
                $"{_process.ExitCode}; see {LogPath}.");
            try
            {
                using var response = await client.GetAsync("/health");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Busy starting.
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException($"{Path.GetFileName(_assembly)} was not healthy within {timeout.TotalSeconds:0} s; see " +
            $"{LogPath}.");
    }

    private void Write(string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output after the test stopped listening.
            }
        }
    }

    /// <summary>services/<paramref name="project"/>/bin/&lt;configuration&gt;/&lt;tfm&gt;/<paramref name="project"/>.dll,
    /// built with the same configuration as this test assembly (the project reference builds it).</summary>
    private static string BuiltAssembly(string project)
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var root = testOutput;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "FlexWhere.sln"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException($"No FlexWhere.sln above {AppContext.BaseDirectory}.");
        var assembly = Path.Combine(root.FullName, "services", project, "bin", configuration, framework, $"{project}.dll");
        return File.Exists(assembly)
            ? assembly
            : throw new InvalidOperationException($"{assembly} does not exist: build the solution first (dotnet build FlexWhere.sln).");
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        lock (_log) _log.Dispose();
    }
}
