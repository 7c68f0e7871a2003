using System.Diagnostics;
using FlexWhere.LocalServers;

namespace FlexWhere.Testing;

/// <summary>
/// A local server started from a <see cref="ProcessSpec"/>, its output kept in a log file for the
/// failure message, and stopped (SIGTERM, then kill) when the tests are done or the test host exits.
/// </summary>
public sealed class LocalServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private LocalServerProcess(Process process, StreamWriter log, string logPath)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill();
    }

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    public static LocalServerProcess Start(ProcessSpec spec, string logPath)
    {
        var startInfo = new ProcessStartInfo(spec.Command, spec.Args)
        {
            WorkingDirectory = spec.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in spec.Environment) startInfo.Environment[key] = value;

        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, line) => Write(log, line.Data);
        process.ErrorDataReceived += (_, line) => Write(log, line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new LocalServerProcess(process, log, logPath);
    }

    /// <summary>Polls <paramref name="isReady"/> until it answers true, the process dies, or the timeout passes.</summary>
    public async Task WaitUntilReadyAsync(string name, Func<CancellationToken, Task<bool>> isReady, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!deadline.IsCancellationRequested)
        {
            if (_process.HasExited) throw Failure(name, $"exited with code {_process.ExitCode}");
            try
            {
                if (await isReady(deadline.Token)) return;
            }
            catch (Exception) when (!deadline.IsCancellationRequested)
            {
                // Not accepting connections yet.
            }
            catch (OperationCanceledException)
            {
                break;
            }

            await Task.Delay(200, CancellationToken.None);
        }

        throw Failure(name, $"was not ready within {timeout.TotalSeconds:0} s");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signal(_process.Id, 15);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
            }
        }

        _process.Dispose();
        await _log.DisposeAsync();
    }

    private InvalidOperationException Failure(string name, string what)
    {
        var log = File.Exists(LogPath) ? string.Join('\n', ReadTail(LogPath, 30)) : "(no output)";
        return new InvalidOperationException($"The local {name} server {what}. Its last output ({LogPath}):\n{log}");
    }

    private static IEnumerable<string> ReadTail(string path, int lines)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n').TakeLast(lines).ToArray();
    }

    /// <summary>SIGKILL, as a crash: no shutdown, nothing flushed.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static void Signal(int pid, int signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", pid.ToString()]) { UseShellExecute = false });
        kill?.WaitForExit();
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null) return;
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The server printed after we stopped listening.
            }
        }
    }
}
