using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text;
using FlexWhere.EndToEndTests;
using FlexWhere.LocalServers;

namespace FlexWhere.Reliability.Tests.Stack;

public sealed partial class StackTests
{
    private static readonly TimeSpan AppHostStartTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan AppHostStopTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// R7: the AppHost as a developer runs it, a process of its own, stopped with SIGTERM, leaves no server process and no
    /// data folder behind. Last in this collection, once R2–R6 are done with the stack (which idles meanwhile): it boots a
    /// second whole AppHost, and here it runs beside the end-to-end suite's browser tests instead of after them.
    /// </summary>
    [Fact]
    public async Task R7_sigterm_on_the_apphost_leaves_no_server_process_and_no_data_folder_behind()
    {
        if (!OperatingSystem.IsLinux()) Assert.Fail("The local-infrastructure shutdown is defined for Linux.");

        var gatewayPort = Ports.FreeLoopbackPort();
        var turn = await StackBootTurn.WaitAsync();
        using var appHost = StartAppHost(gatewayPort, out var output);
        try
        {
            try
            {
                await WaitUntilGatewayIsHealthyAsync(gatewayPort, appHost, output);
            }
            finally
            {
                turn.Dispose();
            }

            Assert.True(Text(output).Contains($"Gateway: http://localhost:{gatewayPort}", StringComparison.Ordinal),
                $"The AppHost did not announce the Gateway on port {gatewayPort}.\n{Digest(output)}");

            var folder = Assert.Single(Directory.GetDirectories(DataFolder.Root, $"apphost-{appHost.Id}-*"));
            var servers = ServerProcesses.UsingProcessIds(folder);
            Assert.True(servers.Count >= 3, $"Expected PostgreSQL, Redis and RabbitMQ in {folder}, found {servers.Count} processes.");

            using (var term = Process.Start("kill", ["-TERM", appHost.Id.ToString()])) await term.WaitForExitAsync();
            using (var stop = new CancellationTokenSource(AppHostStopTimeout)) await appHost.WaitForExitAsync(stop.Token);

            Assert.True(ServerProcesses.WaitUntilNoneUse(folder, TimeSpan.FromSeconds(30)),
                $"Server processes still running after the AppHost stopped: {string.Join(", ", ServerProcesses.UsingProcessIds(folder))}");
            Assert.False(Directory.Exists(folder), $"{folder} was left behind.");
        }
        finally
        {
            if (!appHost.HasExited) appHost.Kill(entireProcessTree: true);
        }
    }

    private static Process StartAppHost(int gatewayPort, out StringBuilder output)
    {
        // ProjectPath is the project's folder (older Aspire versions gave the .csproj).
        var projectDirectory = Projects.AppHost.ProjectPath.EndsWith(".csproj", StringComparison.Ordinal)
            ? Path.GetDirectoryName(Projects.AppHost.ProjectPath)!
            : Projects.AppHost.ProjectPath;
        var configuration = typeof(StackTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var appHostDll = Path.Combine(projectDirectory, "bin", configuration, "net10.0", "AppHost.dll");
        Assert.True(File.Exists(appHostDll), $"Build the AppHost first: {appHostDll} is missing.");

        var startInfo = new ProcessStartInfo("dotnet", [appHostDll, $"--Gateway:Port={gatewayPort}"])
        {
            WorkingDirectory = projectDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // What the launch profile sets, on free ports.
        startInfo.Environment["DOTNET_ENVIRONMENT"] = "Development";
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        startInfo.Environment["ASPNETCORE_URLS"] = $"http://localhost:{Ports.FreeLoopbackPort()}";
        startInfo.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://localhost:{Ports.FreeLoopbackPort()}";
        startInfo.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://localhost:{Ports.FreeLoopbackPort()}";
        startInfo.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        startInfo.Environment["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true";

        var lines = new StringBuilder();
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, line) => { lock (lines) lines.AppendLine(line.Data); };
        process.ErrorDataReceived += (_, line) => { lock (lines) lines.AppendLine(line.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = lines;
        return process;
    }

    private static async Task WaitUntilGatewayIsHealthyAsync(int gatewayPort, Process appHost, StringBuilder output)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + AppHostStartTimeout;
        while (DateTime.UtcNow < deadline && !appHost.HasExited)
        {
            try
            {
                using var response = await client.GetAsync($"http://localhost:{gatewayPort}/health");
                if (response.StatusCode == HttpStatusCode.OK
                    && Text(output).Contains("FlexWhere is ready", StringComparison.Ordinal)) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Starting.
            }

            await Task.Delay(500);
        }

        Assert.Fail(appHost.HasExited
            ? $"The AppHost exited with code {appHost.ExitCode} before the Gateway was healthy.\n{Digest(output)}"
            : $"The Gateway was not healthy within {AppHostStartTimeout.TotalMinutes} minutes.\n{Digest(output)}");
    }

    private static string Text(StringBuilder output)
    {
        lock (output) return output.ToString();
    }

    /// <summary>The AppHost's warnings and errors first, then the last lines: a failure's message says why
    /// without the whole boot log (RabbitMQ alone logs hundreds of lines).</summary>
    private static string Digest(StringBuilder output)
    {
        var lines = Text(output).Split('\n');
        var telling = lines.Where(line => line.StartsWith("warn:", StringComparison.Ordinal)
            || line.StartsWith("fail:", StringComparison.Ordinal)
            || line.StartsWith("crit:", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal)).Take(40);
        return $"Warnings and errors:\n{string.Join('\n', telling)}\nLast 60 lines:\n{string.Join('\n', lines.TakeLast(60))}";
    }
}
